import Foundation
@testable import Gateway
import XCTest

/// The scheduler's decisions against an injected clock: no sleeping.
final class AliasScheduleTests: XCTestCase {
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func testFirstPollsAreJitteredWithinTheSpread() {
        var random = Seeded(state: 1)
        let policy = AliasSchedule.Policy(interval: 300, firstPollSpread: 60)
        let firsts = (0..<50).map { _ in AliasSchedule(policy: policy, now: t0, random: &random).nextPoll.timeIntervalSince(t0) }
        XCTAssertTrue(firsts.allSatisfy { $0 >= 0 && $0 < 60 })
        XCTAssertGreaterThan(Set(firsts.map { Int($0) }).count, 20, "fifty aliases do not start in the same second")
        var r2 = Seeded(state: 2)
        let short = AliasSchedule(policy: .init(interval: 10, firstPollSpread: 60), now: t0, random: &r2)
        XCTAssertLessThan(short.nextPoll.timeIntervalSince(t0), 10, "the spread never exceeds the interval")
    }

    func testSuccessSchedulesTheNextPollOneIntervalLater() {
        var random = Seeded(state: 3)
        var s = AliasSchedule(policy: .init(interval: 120), now: t0, random: &random)
        s.pollStarted()
        XCTAssertFalse(s.isDue(at: t0.addingTimeInterval(1000)), "never twice at once")
        s.pollSucceeded(at: t0)
        XCTAssertEqual(s.nextPoll, t0.addingTimeInterval(120))
        XCTAssertEqual(s.state, .idle)
        XCTAssertTrue(s.isDue(at: t0.addingTimeInterval(120)))
    }

    func testBackoffDoublesUpToTheCapAndResetsOnSuccess() {
        var random = Seeded(state: 4)
        var s = AliasSchedule(policy: .init(interval: 300, backoffBase: 30, backoffMax: 3600), now: t0, random: &random)
        var waits: [TimeInterval] = []
        var now = t0
        for _ in 0..<9 {
            s.pollStarted()
            s.pollFailed(at: now)
            waits.append(s.nextPoll.timeIntervalSince(now))
            now = s.nextPoll
        }
        XCTAssertEqual(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
        XCTAssertEqual(s.state, .backingOff)
        s.pollStarted()
        XCTAssertTrue(s.pollSucceeded(at: now), "recovery is a change of state worth a log line")
        XCTAssertEqual(s.consecutiveFailures, 0)
        XCTAssertEqual(s.nextPoll, now.addingTimeInterval(300))
    }

    func testFailureIsLoggedOncePerChangeOfState() {
        var random = Seeded(state: 5)
        var s = AliasSchedule(policy: .init(), now: t0, random: &random)
        s.pollStarted()
        XCTAssertTrue(s.pollFailed(at: t0))
        s.pollStarted()
        XCTAssertFalse(s.pollFailed(at: t0.addingTimeInterval(30)), "a second failure is not news")
    }

    func testContinuousFailureForDisableAfterMakesTheAliasFailingButItKeepsRetrying() {
        var random = Seeded(state: 6)
        var s = AliasSchedule(policy: .init(backoffMax: 3600, disableAfter: 5 * 86_400), now: t0, random: &random)
        var now = t0
        var changedToFailing = 0
        while now < t0.addingTimeInterval(6 * 86_400) {
            s.pollStarted()
            if s.pollFailed(at: now) && s.state == .failing { changedToFailing += 1 }
            XCTAssertLessThanOrEqual(s.nextPoll.timeIntervalSince(now), 3600, "retries continue at the cap")
            now = s.nextPoll
        }
        XCTAssertEqual(s.state, .failing)
        XCTAssertEqual(changedToFailing, 1)
        XCTAssertEqual(s.failingSince, t0)
    }

    func testPollNowMovesTheNextPollForward() {
        var random = Seeded(state: 7)
        var s = AliasSchedule(policy: .init(interval: 300), now: t0, random: &random)
        s.pollStarted()
        s.pollSucceeded(at: t0)
        s.pollNow(t0.addingTimeInterval(5))
        XCTAssertTrue(s.isDue(at: t0.addingTimeInterval(5)))
    }
}
