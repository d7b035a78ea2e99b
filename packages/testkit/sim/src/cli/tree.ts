/** The rkt command tree the simulator knows, with rkt's flags, usage lines and descriptions. */
import { runAppAdd } from "../commands/app-add";
import { runAppExec } from "../commands/app-exec";
import { runAppRm, runAppStart, runAppStop } from "../commands/app-lifecycle";
import { runAppList } from "../commands/app-list";
import { runAppStatus } from "../commands/app-status";
import { runAttach } from "../commands/attach";
import { runGc } from "../commands/gc";
import { runImageCatManifest, runImageFetch, runImageList, runImageRm } from "../commands/image";
import { runList } from "../commands/list";
import { runRm } from "../commands/rm";
import { runSandbox } from "../commands/sandbox";
import { runStatus } from "../commands/status";
import { runStop } from "../commands/stop";
import { runVersion } from "../commands/version";
import type { CommandSpec } from "./command";
import { type FlagDef, flag, parseGoBool } from "./flags";

const FORMAT = flag(
  "format",
  "value",
  "",
  "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs",
);
const APP = flag("app", "string", "", "choose app within the pod, this flag must be set");

const fetchFlags: FlagDef[] = [
  flag("full", "bool", "false", "print the full image hash after fetching", "true"),
  flag("no-store", "bool", "false", "fetch images, ignoring the local store. Deprecated, use --pull-policy=update instead", "true"),
  flag("pull-policy", "value", "new", 'when to pull an image. Allowed values: "never", "new", "update"'),
  flag("signature", "value", "", "local signature file to use in validating the preceding image"),
  flag(
    "store-only",
    "bool",
    "false",
    "use only available images in the store (do not discover or download from remote URLs). Deprecated, use --pull-policy=never instead",
    "true",
  ),
];

const fetchSpec = (name: string): CommandSpec => ({
  name,
  short: "Fetch image(s) and store them in the local store",
  usageLine: `rkt ${name === "fetch" ? "" : "image "}fetch IMAGE_URL...`,
  long: "Locates and downloads remote ACIs and their attached signatures.",
  flags: fetchFlags,
  run: runImageFetch,
});

const sandboxFlags: FlagDef[] = [
  flag("annotation", "value", "", "optional, set the pod's annotations in the form of key=value"),
  flag("dns", "value", "", "name servers to write in /etc/resolv.conf"),
  flag("dns-domain", "string", "", "DNS domain to write in /etc/resolv.conf"),
  flag("dns-opt", "value", "", "DNS options to write in /etc/resolv.conf"),
  flag("dns-search", "value", "", "DNS search domains to write in /etc/resolv.conf"),
  flag("hostname", "string", "", `pod's hostname. If empty, it will be "rkt-$PODUUID"`),
  flag("hosts-entry", "value", "", "Entries to add to the pod-wide /etc/hosts. Pass 'host' to use the host's /etc/hosts"),
  flag("inherit-env", "bool", "false", "inherit all environment variables not set by apps", "true"),
  flag(
    "mds-register",
    "bool",
    "false",
    "register pod with metadata service. needs network connectivity to the host (--net=(default|default-restricted|host))",
    "true",
  ),
  flag(
    "net",
    "value",
    "default",
    "configure the pod's networking. Optionally, pass a list of user-configured networks to load and set arguments to pass to each network, respectively. Syntax: --net[=n[:args], ...]",
    "default",
  ),
  flag("no-overlay", "bool", "false", "disable overlay filesystem", "true"),
  flag("port", "value", "", 'ports to forward. format: "name:proto:podPort:hostIP:hostPort"'),
  flag("private-users", "bool", "false", "run within user namespaces.", "true"),
  flag("set-env", "value", "", "environment variable to set for all the apps in the form key=value"),
  flag("set-env-file", "value", "", "path to an environment variables file"),
  flag("stage1-from-dir", "string", "", "a filename of an image in stage1 images directory to use as stage1 image"),
  flag("stage1-hash", "string", "", "a hash of an image to use as stage1 image"),
  flag("stage1-name", "string", "", "a name of an image to use as stage1 image"),
  flag("stage1-path", "string", "", "a path to an image to use as stage1 image"),
  flag("stage1-url", "string", "", "a URL to an image to use as stage1 image"),
  flag("user-annotation", "value", "", "optional, set the pod's annotations in the form of key=value"),
  flag("user-label", "value", "", "optional, set the pod's label in the form of key=value"),
  flag("uuid-file-save", "string", "", "write out the pod UUID to specified file"),
];

function appCommands(): CommandSpec[] {
  return [
    {
      name: "add",
      short: "Add an app to a pod",
      usageLine: "rkt app add UUID IMAGEID ...",
      long: "This allows addin an app that's present on the store to a running pod",
      interspersed: false,
      run: runAppAdd,
    },
    {
      name: "exec",
      short: "Execute a command in the given app's context within a given pod",
      usageLine: "rkt app exec [--app=APPNAME] UUID CMD [ARGS ...]",
      long: "UUID should be the UUID of a running pod.",
      flags: [APP],
      interspersed: false,
      run: runAppExec,
    },
    {
      name: "list",
      short: "List apps for the given pod",
      usageLine: "rkt app list UUID",
      long: "This only lists the name and state of the apps, app status will show more detailed info.",
      flags: [flag("no-legend", "bool", "false", "suppress a legend with the list", "true")],
      run: runAppList,
    },
    {
      name: "rm",
      short: "Remove an app from a pod",
      usageLine: "rkt app rm UUID --app=NAME",
      long: "",
      flags: [flag("app", "string", "", "app to remove")],
      run: runAppRm,
    },
    {
      name: "sandbox",
      short: "Create an empty pod application sandbox",
      usageLine: "rkt app sandbox",
      long: "Initializes an empty pod having no applications.",
      flags: sandboxFlags,
      run: runSandbox,
    },
    {
      name: "start",
      short: "Start an app in a pod",
      usageLine: "rkt app start UUID --app=NAME",
      long: "",
      flags: [flag("app", "string", "", "app to start")],
      run: runAppStart,
    },
    {
      name: "status",
      short: "Check the status of an app in the given pod",
      usageLine: "rkt app status UUID --app=APP_NAME [--format=json]",
      long: "This will print detailed status of an app",
      flags: [APP, FORMAT],
      run: runAppStatus,
    },
    {
      name: "stop",
      short: "Stop an app in a pod",
      usageLine: "rkt app stop UUID --app=NAME",
      long: "",
      flags: [flag("app", "string", "", "app to stop")],
      run: runAppStop,
    },
  ];
}

function experiment(env: NodeJS.ProcessEnv, name: string): boolean {
  return parseGoBool(env[`RKT_EXPERIMENT_${name.toUpperCase()}`] ?? "") === true;
}

export function commandTree(env: NodeJS.ProcessEnv): CommandSpec {
  const children: CommandSpec[] = [
    { name: "version", short: "Print the version and exit", usageLine: "rkt version", long: "", run: runVersion },
    {
      name: "list",
      short: "List pods",
      usageLine: "rkt list",
      long: "",
      flags: [
        FORMAT,
        flag("full", "bool", "false", "use long output format", "true"),
        flag("no-legend", "bool", "false", "suppress a legend with the list", "true"),
      ],
      run: runList,
    },
    {
      name: "status",
      short: "Check the status of a rkt pod",
      usageLine: "rkt status [--wait=bool|timeout] [--wait-ready=bool|timeout] --uuid-file=FILE | UUID",
      long: "Print the status of a pod.",
      flags: [
        FORMAT,
        flag("uuid-file", "string", "", "read pod UUID from file instead of argument"),
        flag(
          "wait",
          "value",
          "false",
          "toggles waiting for the pod to finish. Use the output to determine the actual terminal state.",
          "true",
        ),
        flag("wait-ready", "value", "false", "toggles waiting until the pod is ready.", "true"),
      ],
      run: runStatus,
    },
    {
      name: "stop",
      short: "Stop a pod",
      usageLine: "rkt stop --uuid-file=FILE | UUID ...",
      long: "",
      flags: [
        flag("force", "bool", "false", "forced stopping", "true"),
        flag("uuid-file", "string", "", "read pod UUID from file instead of argument"),
      ],
      run: runStop,
    },
    {
      name: "rm",
      short: "Remove all files and resources associated with an exited pod",
      usageLine: "rkt rm --uuid-file=FILE | UUID ...",
      long: "Unlike gc, rm allows users to remove specific pods.",
      flags: [flag("uuid-file", "string", "", "read pod UUID from file instead of argument")],
      run: runRm,
    },
    {
      name: "gc",
      short: "Garbage collect rkt pods no longer in use",
      usageLine: "rkt gc [--grace-period=duration] [--expire-prepared=duration]",
      long: "This is intended to be run periodically from a timer or cron job.",
      flags: [
        flag("expire-prepared", "value", "24h0m0s", "duration to wait before expiring prepared pods"),
        flag("grace-period", "value", "30m0s", "duration to wait before discarding inactive pods from garbage"),
        flag(
          "mark-only",
          "bool",
          "false",
          "if set to true, then the exited/aborted pods will be moved to the garbage directories without actually deleting them",
          "true",
        ),
      ],
      run: runGc,
    },
    fetchSpec("fetch"),
    {
      name: "image",
      short: "Operate on image(s) in the local store",
      usageLine: "rkt image [command]",
      long: "",
      children: [
        {
          name: "cat-manifest",
          short: "Inspect and print the image manifest",
          usageLine: "rkt image cat-manifest IMAGE",
          long: "IMAGE should be a string referencing an image; either a hash or an image name.",
          flags: [flag("pretty-print", "bool", "true", "apply indent to format the output", "true")],
          run: runImageCatManifest,
        },
        fetchSpec("fetch"),
        {
          name: "list",
          short: "List images in the local store",
          usageLine: "rkt image list",
          long: "",
          flags: [
            flag(
              "fields",
              "value",
              "id,name,size,importtime,lastused",
              "comma-separated list of fields to display. Accepted values: id, name, importtime, lastused, size, latest",
            ),
            FORMAT,
            flag("full", "bool", "false", "use long output format", "true"),
            flag("no-legend", "bool", "false", "suppress a legend with the list", "true"),
            flag(
              "order",
              "value",
              "asc",
              "choose the sorting order if at least one sort field is provided (--sort). Accepted values: asc, desc",
            ),
            flag(
              "sort",
              "value",
              "importtime",
              "sort the output according to the provided comma-separated list of fields. Accepted values: id, name, importtime, lastused, size",
            ),
          ],
          run: runImageList,
        },
        {
          name: "rm",
          short: "Remove one or more images with the given IDs or image names from the local store",
          usageLine: "rkt image rm IMAGEID|IMAGENAME...",
          long: "Unlike image gc, image rm allows users to remove specific images.",
          run: runImageRm,
        },
      ],
    },
  ];
  if (experiment(env, "app")) {
    children.push({ name: "app", short: "Operate on app(s) in a pod", usageLine: "rkt app [command]", long: "", children: appCommands() });
  }
  if (experiment(env, "attach")) {
    children.push({
      name: "attach",
      short: "Attach to an app running within a rkt pod",
      usageLine: "rkt attach [--app=APPNAME] [--mode=MODE] UUID",
      long: "UUID should be the UUID of a running pod.",
      flags: [
        flag("app", "string", "", "name of the app to attach to within the specified pod"),
        flag("mode", "string", "auto", "attaching mode"),
      ],
      run: runAttach,
    });
  }
  return {
    name: "rkt",
    short: "rkt, the application container runner",
    usageLine: "rkt [command]",
    long: "A CLI for running app containers on Linux.",
    children,
  };
}
