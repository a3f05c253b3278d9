#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageOCI
#endif

/// Tells containerd of task events the way its shims do: the publish binary containerd named
/// (`containerd publish --address A --topic T --namespace NS`) with the event, a protobuf `Any`,
/// on its standard input. It is started and not waited for (the server reaps it with its other
/// children).
struct EventPublisher {
    let binary: String
    let address: String
    let namespace: String

    func publishExit(of task: ShimTask) {
        guard let exit = task.exit else { return }
        publish(topic: "/tasks/exit", TaskMessages.exitEvent(id: task.id, pid: task.pid, exitStatus: exit.status, exitedAt: exit.at))
    }

    func publish(topic: String, _ event: [UInt8]) {
        guard !address.isEmpty else { return }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(pipeEnds[0]) }
        // An event is a few dozen bytes: it fits in the pipe before the reader starts.
        _ = event.withUnsafeBytes { write(pipeEnds[1], $0.baseAddress, $0.count) }
        close(pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let arguments = [binary, "--address", address, "publish", "--topic", topic, "--namespace", namespace]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        _ = posix_spawnp(&pid, binary, &actions, &attributes, &cArguments, mirage_environment())
    }
}
