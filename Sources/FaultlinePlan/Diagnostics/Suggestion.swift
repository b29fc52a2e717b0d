/// "Did you mean" for misspelt keys and kinds: the closest candidate by edit distance,
/// if it is close enough to be a plausible typo (at most a third of the word differs).
enum Suggestion {
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(w, Array(candidate.lowercased()))
            if d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        let allowed = max(1, max(w.count, candidate.count) / 3)
        return d <= allowed ? candidate : nil
    }

    /// Damerau–Levenshtein (optimal string alignment): a swap of two letters counts once.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
