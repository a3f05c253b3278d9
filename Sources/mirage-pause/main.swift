// mirage-pause: what a pod sandbox's first container runs (Kubernetes' "pause"): it holds the
// pod's namespaces open and waits until it is told to stop. Linked statically, so an image of it
// needs no libraries; the tests' CRI sandbox image is made of it.
#if canImport(Glibc)
import Glibc
#endif

for stopping in [SIGTERM, SIGINT] {
    signal(stopping) { _ in _exit(0) }
}
while true {
    pause()
}
