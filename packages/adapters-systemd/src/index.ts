// @rktlet/adapters-systemd: implements @rktlet/core's ports with systemd transient units. Under construction: see the
// project's open issues. Until then the daemon offers the in-memory backend (--backend fake).
export {};
