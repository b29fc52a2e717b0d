#if canImport(Glibc)
import Glibc
#endif
import CFaultlineNet

/// Runs code on a dedicated OS thread that has entered a network namespace.
///
/// Why a thread of our own: `setns(2)` changes the namespace of the calling *thread* only, and
/// every netlink socket (libnftables, libnl, libnetfilter_queue) binds to the namespace of the
/// thread that opens it. Calling `setns` on a Swift-concurrency or Dispatch thread would leave
/// that pooled thread in the wrong namespace for whoever runs on it next, so we never do that:
/// each job gets a fresh pthread that enters the namespace, runs, and exits (the namespace
/// reference dies with it). A thread costs ~50 µs, far below a netlink round trip budget.
/// Processes spawned from the thread (iptables) inherit its namespace.
enum NamespaceThread {
    /// Where the job runs.
    enum Place: Sendable {
        /// The caller's own namespace; the job runs inline on the caller's thread.
        case current
        /// An existing namespace, entered with `setns`.
        case namespace(NetNamespace)
        /// A brand-new empty namespace made with `unshare(CLONE_NEWNET)`, owned by the thread
        /// and destroyed when it exits (used by availability probes: nothing is left behind).
        case scratch

        init(_ namespace: NetNamespace?) {
            self = namespace.map { .namespace($0) } ?? .current
        }
    }

    /// Runs `body` in `place` and returns its result (or rethrows its error).
    static func run<T>(in place: Place, _ body: () throws -> T) throws -> T {
        if case .current = place { return try body() }
        return try withoutActuallyEscaping(body) { escapable in
            let job = Job(body: escapable, place: place)
            let unmanaged = Unmanaged.passRetained(job)
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                let job = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Runnable
                job.runOnThisThread()
                return nil
            }, unmanaged.toOpaque())
            guard created == 0 else {
                unmanaged.release()
                throw NetShimError.syscall(call: "pthread_create", errno: created)
            }
            pthread_join(thread, nil)
            return try job.result!.get()
        }
    }

    /// Starts a long-lived thread in `place` running `body` (the delay engine). The thread
    /// enters the namespace before `body` runs; entry failures are passed to `body`.
    static func start(in place: Place, _ body: @escaping @Sendable (Result<Void, NetShimError>) -> Void) throws -> pthread_t {
        let job = Starter(place: place, body: body)
        let unmanaged = Unmanaged.passRetained(job)
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Runnable
            job.runOnThisThread()
            return nil
        }, unmanaged.toOpaque())
        guard created == 0 else {
            unmanaged.release()
            throw NetShimError.syscall(call: "pthread_create", errno: created)
        }
        return thread
    }

    /// Moves the calling thread into `place`. Only ever called on threads made here.
    static func enter(_ place: Place) throws(NetShimError) {
        switch place {
        case .current:
            return
        case let .namespace(namespace):
            let fd = open(namespace.filePath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .lastErrno("open(\(namespace.filePath))") }
            defer { close(fd) }
            guard fl_setns_net(fd) == 0 else { throw .lastErrno("setns(\(namespace.filePath), CLONE_NEWNET)") }
        case .scratch:
            guard fl_unshare_net() == 0 else { throw .lastErrno("unshare(CLONE_NEWNET)") }
        }
    }
}

private protocol Runnable: AnyObject { func runOnThisThread() }

private final class Job<T>: Runnable {
    let body: () throws -> T
    let place: NamespaceThread.Place
    var result: Result<T, any Error>?

    init(body: @escaping () throws -> T, place: NamespaceThread.Place) {
        self.body = body
        self.place = place
    }

    func runOnThisThread() {
        do {
            try NamespaceThread.enter(place)
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
    }
}

private final class Starter: Runnable {
    let place: NamespaceThread.Place
    let body: @Sendable (Result<Void, NetShimError>) -> Void

    init(place: NamespaceThread.Place, body: @escaping @Sendable (Result<Void, NetShimError>) -> Void) {
        self.place = place
        self.body = body
    }

    func runOnThisThread() {
        do {
            try NamespaceThread.enter(place)
            body(.success(()))
        } catch {
            body(.failure(error))
        }
    }
}
