import Foundation
import XCTest
@testable import MailStore

/// The outbox's claiming rules, which every process sharing the store obeys.
final class OutboxTests: TemporaryDirectoryTestCase {
    var store: Store!

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try Store(path: directory + "/mailgate.sqlite")
    }

    @discardableResult
    func queue(_ n: Int, id: String, parent: String? = nil) throws -> Bool {
        try store.recordsTransaction("queue") { records in
            try records.queueForOdoo(NewOutboxRow(server: "main", alias: "sales", messageID: id, parentMessageID: parent,
                                                  rawSHA256: key(n)))
        }
    }

    func claim(_ owner: String = "host:1:1", maxInFlight: Int = 4, ignoringBackoff: Bool = false,
               drainStart: Date = .distantFuture, now: Date = Date()) throws -> OutboxRow? {
        try store.claimOutbox(server: "main", owner: owner, maxInFlight: maxInFlight, staleAfter: 600,
                              ignoringBackoff: ignoringBackoff, drainStart: drainStart, now: now)
    }

    func finish(_ row: OutboxRow, _ result: OutboxResult, owner: String = "host:1:1", now: Date = Date()) throws -> OutboxState? {
        try store.finishAndClaimOutbox(finishing: row.id, result, server: "main", owner: owner, maxInFlight: 0,
                                       staleAfter: 600, now: now).finished
    }

    func testExactDuplicateBytesAreQueuedOnce() throws {
        XCTAssertTrue(try queue(1, id: "<a@x>"))
        XCTAssertFalse(try queue(1, id: "<a@x>"))
        XCTAssertEqual(try store.outboxCounts()["main"]?.queued, 1)
    }

    func testMaxInFlightAndOneMessageIdAtATime() throws {
        try queue(1, id: "<a@x>")
        try queue(2, id: "<a@x>")  // other bytes, same Message-Id
        try queue(3, id: "<b@x>")
        let first = try XCTUnwrap(try claim())
        XCTAssertEqual(first.messageID, "<a@x>")
        let second = try XCTUnwrap(try claim())
        XCTAssertEqual(second.messageID, "<b@x>", "the other copy of <a@x> waits while one is in flight")
        XCTAssertNil(try claim())
        XCTAssertEqual(try finish(first, .delivered(recordID: 5)), .delivered)
        XCTAssertEqual(try claim()?.messageID, "<a@x>")
        try queue(4, id: "<c@x>")
        XCTAssertNil(try claim(maxInFlight: 2), "two in flight already")
    }

    func testAReplyWaitsForItsParentButNotForAParkedOne() throws {
        try queue(1, id: "<p@x>")
        try queue(2, id: "<r@x>", parent: "<p@x>")
        try queue(3, id: "<q@x>", parent: "<r@x>")
        let parent = try XCTUnwrap(try claim())
        XCTAssertNil(try claim(), "the reply waits while its parent is in flight")
        XCTAssertEqual(try finish(parent, .parked("no route", noRoute: true)), .parked)
        let reply = try XCTUnwrap(try claim())
        XCTAssertEqual(reply.messageID, "<r@x>", "a parked parent does not hold its thread")
        XCTAssertNil(try claim())
    }

    func testBackoffThreeIdenticalAnswersAndRetryFor() throws {
        try queue(1, id: "<a@x>")
        let start = Date()
        var row = try XCTUnwrap(try claim(now: start))
        let retry = OutboxResult.retry("HTTP 500", answer: "HTTP 500 KeyError", maybeFiled: false, delay: 60, retryFor: 3 * 86_400)
        XCTAssertEqual(try finish(row, retry, now: start), .queued)
        XCTAssertNil(try claim(now: start.addingTimeInterval(30)), "waiting for its backoff")
        row = try XCTUnwrap(try claim(now: start.addingTimeInterval(61)))
        XCTAssertEqual(try finish(row, retry, now: start.addingTimeInterval(61)), .queued)
        row = try XCTUnwrap(try claim(ignoringBackoff: true, now: start.addingTimeInterval(62)))
        XCTAssertEqual(try finish(row, retry, now: start.addingTimeInterval(62)), .parked, "the same answer three times")

        try queue(2, id: "<b@x>")
        row = try XCTUnwrap(try claim(now: start))
        let unreachable = OutboxResult.retry("refused", answer: nil, maybeFiled: false, delay: 60, retryFor: 3600)
        XCTAssertEqual(try finish(row, unreachable, now: start), .queued)
        row = try XCTUnwrap(try claim(now: start.addingTimeInterval(3601)))
        XCTAssertEqual(try finish(row, unreachable, now: start.addingTimeInterval(3601)), .parked, "retry_for has passed")
        XCTAssertEqual(try store.requeueParked(aliases: ["sales"]), 2)
        XCTAssertEqual(try store.outboxCounts()["main"]?.queued, 2)
    }

    func testOneDrainTriesARowOnce() throws {
        try queue(1, id: "<a@x>")
        let drainStart = Date()
        let row = try XCTUnwrap(try claim(ignoringBackoff: true, drainStart: drainStart))
        _ = try finish(row, .retry("503", answer: "503", maybeFiled: false, delay: 60, retryFor: 86_400))
        XCTAssertNil(try claim(ignoringBackoff: true, drainStart: drainStart))
        XCTAssertNotNil(try claim(ignoringBackoff: true, drainStart: Date().addingTimeInterval(1)))
    }

    func testARowOfADeadProcessIsTakenBackAndMarkedMaybeFiled() throws {
        try queue(1, id: "<a@x>")
        // A claimant on this host whose pid does not exist.
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let dead = "\(String(cString: name)):999999:1"
        _ = try XCTUnwrap(try claim(dead))
        let again = try XCTUnwrap(try claim("host:2:2"))
        XCTAssertTrue(again.maybeFiled, "its answer may have been lost: search_count first")
        XCTAssertNil(try finish(again, .delivered(recordID: nil), owner: dead), "the dead claimant no longer holds it")
        XCTAssertEqual(try finish(again, .delivered(recordID: nil), owner: "host:2:2"), .delivered)
    }
}
