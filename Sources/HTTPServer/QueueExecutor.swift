import Dispatch

/// A serial executor that runs jobs on a Dispatch serial queue, so an actor using it is isolated
/// to that queue: Dispatch event sources targeting the queue can enter the actor synchronously with
/// `assumeIsolated`, and `await`s into the actor are enqueued on the same queue.
/// (`DispatchSerialQueue` does this on Darwin but is not available in corelibs Dispatch on Linux.)
final class QueueExecutor: SerialExecutor {
    let queue: DispatchQueue

    init(label: String, target: DispatchQueue?) {
        queue = DispatchQueue(label: label, target: target)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async {
            job.runSynchronously(on: self.asUnownedSerialExecutor())
        }
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
