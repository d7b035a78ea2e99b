// @rktlet/adapters-rkt: implements @rktlet/core's ports with the rkt CLI. Under construction: see the
// project's open issues. Until then the daemon offers the in-memory backend (--backend fake).
export {};
