import Foundation

extension BounceClassifier {
    /// Starts building the classifier's tables on a background thread, once per process, and
    /// returns at once. The tables are lazy statics: the first message that needs them would
    /// otherwise build them on the poll's reading thread, about 10 ms of CPU for the reason
    /// phrases' automaton (16,000 states) in every `mailgate fetch` that finds a bounce-like
    /// message. A poll calls this when it knows it has messages to fetch, so the building
    /// overlaps the FETCH's round trip. Safe from any thread and any number of times: each table
    /// is built by whichever thread touches it first (swift_once), and the others wait for it.
    public static func prepareTablesInBackground() {
        _ = warmUp
    }

    private static let warmUp: Void = {
        Thread.detachNewThread {
            _ = ReasonPatterns.entries  // builds `pieces`, the large automaton, on the way
            _ = ReasonPatterns.directoryMissEntries
            _ = MTAFormats.markerMatcher
            _ = MTAFormats.providerMatcher
            _ = MTAFormats.strictProviderMatcher
            _ = MTAFormats.reasonMatchers
            _ = TextScan.commandMatcher
            _ = daemonLocalMatcher
            _ = BounceContext.copyMarkerMatcher
            _ = BounceContext.bounceSubjectMatcher
            _ = TextBounce.temporaryMatcher
        }
    }()
}
