extension String {
    /// Whether `text` occurs in this string, compared byte for byte in UTF-8 (what the checks of
    /// paths and names here need; Embedded Swift has no `contains(_: String)`).
    func includes(_ text: String) -> Bool {
        let haystack = Array(utf8), needle = Array(text.utf8)
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
