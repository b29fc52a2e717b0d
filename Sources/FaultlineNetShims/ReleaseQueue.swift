/// A min-heap of held packets keyed by release time (monotonic nanoseconds).
///
/// Pure data structure for the delay engine: O(log n) push and pop; ties keep no particular
/// order (jitter reorders packets anyway, as netem does).
struct ReleaseQueue<Element> {
    private var heap: [(release: UInt64, element: Element)] = []

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    /// The earliest release time, if any.
    var nextRelease: UInt64? { heap.first?.release }

    mutating func push(_ element: Element, release: UInt64) {
        heap.append((release, element))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].release < heap[parent].release else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest element if it is due at `now`.
    mutating func popDue(now: UInt64) -> Element? {
        guard let first = heap.first, first.release <= now else { return nil }
        return popFirst()
    }

    mutating func popFirst() -> Element? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].release < heap[smallest].release { smallest = left }
            if right < heap.count && heap[right].release < heap[smallest].release { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top.element
    }
}
