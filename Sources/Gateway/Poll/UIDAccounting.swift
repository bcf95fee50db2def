/// Where each candidate UID of one IMAP poll ended (the nothing-lost rule): recorded,
/// skipped (too large), failed (kept as a `failed` row and retried), or dropped (a fresh
/// search showed the server no longer has it). A candidate with no outcome was not reached
/// (the poll stopped or broke): it is fetched by a later poll, because the UIDNEXT saved
/// never passes it.
///
/// It lives in one place, updated as each batch commits, so that however fetching and
/// recording are split across threads the saved UIDNEXT stays behind every open UID.
struct UIDAccounting {
    enum Outcome: Equatable {
        case recorded, skipped, failed, dropped
    }

    /// The UIDs the poll set out to fetch (those without a seen row), ascending.
    let candidates: [UInt32]
    private(set) var outcomes: [UInt32: Outcome] = [:]

    init(candidates: [UInt32]) {
        self.candidates = candidates.sorted()
    }

    mutating func settle(_ uid: UInt32, _ outcome: Outcome) {
        outcomes[uid] = outcome
    }

    mutating func settle<S: Sequence>(_ uids: S, _ outcome: Outcome) where S.Element == UInt32 {
        for uid in uids { outcomes[uid] = outcome }
    }

    /// Candidates not accounted for yet.
    var open: [UInt32] { candidates.filter { outcomes[$0] == nil } }

    /// The UIDNEXT to save: every UID below it is accounted for. The lowest open candidate
    /// when there is one; else past both the last candidate and the folder's UIDNEXT at
    /// SELECT (nil when neither is known: keep what is saved).
    func uidNextToSave(selectedUIDNext: UInt32?) -> UInt32? {
        if let first = candidates.first(where: { outcomes[$0] == nil }) { return first }
        let past = candidates.last.map { $0 &+ 1 }
        switch (selectedUIDNext, past) {
        case let (selected?, past?): return max(selected, past)
        case let (selected, past): return selected ?? past
        }
    }
}
