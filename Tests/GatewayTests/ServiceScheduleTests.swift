import Foundation
@testable import Gateway
import XCTest

/// The service's additions to `AliasSchedule`, against an injected clock.
final class ServiceScheduleTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func schedule(_ policy: AliasSchedule.Policy = .init(interval: 300, firstPollSpread: 0)) -> AliasSchedule {
        var random = SystemRandomNumberGenerator()
        return AliasSchedule(policy: policy, now: t0, random: &random)
    }

    func testASkippedPollKeepsTheHealthAndWaitsOneInterval() {
        var s = schedule()
        s.pollStarted()
        XCTAssertEqual(s.state, .polling)
        s.pollSkipped(at: t0)
        XCTAssertEqual(s.state, .idle)
        XCTAssertEqual(s.nextPoll, t0.addingTimeInterval(300))
        XCTAssertEqual(s.consecutiveFailures, 0)
    }

    func testASkippedPollWhileBackingOffKeepsTheBackoff() {
        var s = schedule()
        s.pollStarted(); s.pollFailed(at: t0)
        s.pollStarted(); s.pollFailed(at: t0.addingTimeInterval(30))
        s.pollStarted(); s.pollSkipped(at: t0.addingTimeInterval(100))
        XCTAssertEqual(s.state, .backingOff)
        XCTAssertEqual(s.consecutiveFailures, 2)
        XCTAssertEqual(s.nextPoll, t0.addingTimeInterval(160), "the second failure's 60 s, counted from the skip")
    }

    func testFailingAfterDisableAfterRetriesAtTheCapAndRecovers() {
        var s = schedule(.init(interval: 300, backoffMax: 3600, disableAfter: 5 * 86_400, firstPollSpread: 0))
        var now = t0
        var changes = 0
        while s.state != .failing {
            s.pollStarted()
            if s.pollFailed(at: now) { changes += 1 }
            now = s.nextPoll
        }
        XCTAssertEqual(changes, 2, "logged twice: idle → backing-off, backing-off → failing")
        XCTAssertGreaterThanOrEqual(now.timeIntervalSince(t0), 5 * 86_400)
        s.pollStarted()
        XCTAssertFalse(s.pollFailed(at: now))
        XCTAssertEqual(s.nextPoll.timeIntervalSince(now), 3600, "still retrying, at the cap")
        s.pollStarted()
        XCTAssertTrue(s.pollSucceeded(at: now))
        XCTAssertEqual(s.state, .idle)
    }

    func testABackoffCapBelowTheBaseIsTheCap() {
        var alias = AliasConfig(name: "x", file: "f", directory: "/", mailbox: nil, interval: 300, maxMessageSize: 1,
                                routing: .init())
        alias.backoffMax = 10
        var s = schedule(.init(alias: alias, jitter: 0))
        s.pollStarted()
        s.pollFailed(at: t0)
        XCTAssertEqual(s.nextPoll, t0.addingTimeInterval(10))
    }
}
