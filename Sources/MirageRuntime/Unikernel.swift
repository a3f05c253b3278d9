/// An application: a type generic over the devices it needs, whose `start` is the unikernel's
/// main program (MirageOS's `Unikernel.start`).
///
/// The generated wiring (`mirage/main.swift`) creates the devices the manifest names, passes them
/// and the application's boot-argument values to the initialiser, and awaits ``start()``:
/// ```swift
/// struct Hello: Unikernel {
///     let message: String
///     init(hello: String) { message = hello }
///     func start() async {
///         for _ in 0..<4 { log.info(message); try? await sleep(for: .seconds(1)) }
///     }
/// }
/// ```
/// When `start` returns the unikernel exits with status 0; when it throws, the error is logged
/// and the status is 1.
public protocol Unikernel {
    /// What `start` throws; `Never` for an application that cannot fail.
    associatedtype Failure: Error & CustomStringConvertible = Never

    /// Runs the application.
    func start() async throws(Failure)
}

/// Lets `Never` be a ``Unikernel/Failure``: every failure must describe itself in the log, and no
/// value of `Never` exists to describe.
extension Never: @retroactive CustomStringConvertible {
    public var description: String { switch self {} }
}

/// Lets a `start` that sleeps (and so may be cancelled) use `CancellationError` as its failure.
extension CancellationError: @retroactive CustomStringConvertible {
    public var description: String { "the task was cancelled" }
}
