import Foundation
@testable import MailStore
import XCTest

/// One poll of a mailbox at a time across processes: the lease rows, with an injected clock.
final class LeaseTests: TemporaryDirectoryTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func makeStore() throws -> (Store, Int64) {
        let store = try Store(path: directory + "/mailgate.sqlite")
        let id = try store.mailboxID(host: "imap.acme.test", port: 993, user: "sales", folder: "INBOX")
        return (store, id)
    }

    func testAFreeLeaseIsTakenAndABusyOneNamesItsHolder() throws {
        let (store, id) = try makeStore()
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "a", ttl: 60, now: t0))
        let holder = try XCTUnwrap(try store.acquireLease(mailbox: id, owner: "b", ttl: 60, now: t0.addingTimeInterval(10)))
        XCTAssertEqual(holder.owner, "a")
        XCTAssertEqual(holder.expires, t0.addingTimeInterval(60))
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "a", ttl: 60, now: t0.addingTimeInterval(10)),
                     "the holder may take its own lease again")
    }

    func testAnExpiredLeaseIsTakenOver() throws {
        let (store, id) = try makeStore()
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "killed", ttl: 60, now: t0))
        XCTAssertNotNil(try store.acquireLease(mailbox: id, owner: "b", ttl: 60, now: t0.addingTimeInterval(59)))
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "b", ttl: 60, now: t0.addingTimeInterval(61)))
        XCTAssertEqual(try store.leaseHolder(mailbox: id)?.owner, "b")
        XCTAssertFalse(try store.renewLease(mailbox: id, owner: "killed", ttl: 60, now: t0.addingTimeInterval(62)),
                       "the old owner learns it lost the lease")
    }

    func testRenewalKeepsTheLeaseAndReleaseFreesIt() throws {
        let (store, id) = try makeStore()
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "a", ttl: 60, now: t0))
        XCTAssertTrue(try store.renewLease(mailbox: id, owner: "a", ttl: 60, now: t0.addingTimeInterval(50)))
        XCTAssertNotNil(try store.acquireLease(mailbox: id, owner: "b", ttl: 60, now: t0.addingTimeInterval(100)),
                        "renewed at 50 s, the lease lasts until 110 s")
        try store.releaseLease(mailbox: id, owner: "b")  // not b's: nothing happens
        XCTAssertEqual(try store.leaseHolder(mailbox: id)?.owner, "a")
        try store.releaseLease(mailbox: id, owner: "a")
        XCTAssertNil(try store.leaseHolder(mailbox: id))
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "b", ttl: 60, now: t0.addingTimeInterval(101)))
    }

    func testTwoStoresOnOneFileSeeOneHolder() throws {
        let (first, id) = try makeStore()
        let second = try Store(path: directory + "/mailgate.sqlite")
        XCTAssertNil(try first.acquireLease(mailbox: id, owner: "a", ttl: 60))
        XCTAssertEqual(try second.acquireLease(mailbox: id, owner: "b", ttl: 60)?.owner, "a")
    }

    func testServiceStateRowsAreReplacedAndClearedByOwner() throws {
        let (store, _) = try makeStore()
        try store.setServiceState(ServiceAliasState(alias: "sales", owner: "svc", state: "polling", idle: false,
                                                    nextPoll: nil, lastError: nil, updated: t0))
        try store.setServiceState(ServiceAliasState(alias: "sales", owner: "svc", state: "idle", idle: true,
                                                    nextPoll: t0.addingTimeInterval(300), lastError: nil, updated: t0))
        try store.setServiceState(ServiceAliasState(alias: "jobs", owner: "svc", state: "backing-off", idle: false,
                                                    nextPoll: t0, lastError: "refused", updated: t0))
        let states = try store.serviceStates()
        XCTAssertEqual(states.map(\.alias), ["jobs", "sales"])
        XCTAssertEqual(states[1].state, "idle")
        XCTAssertTrue(states[1].idle)
        XCTAssertEqual(states[1].nextPoll, t0.addingTimeInterval(300))
        XCTAssertEqual(states[0].lastError, "refused")
        try store.clearServiceState(owner: "svc", keeping: ["sales"])
        XCTAssertEqual(try store.serviceStates().map(\.alias), ["sales"])
        try store.clearServiceState(owner: "other")
        XCTAssertEqual(try store.serviceStates().count, 1)
        try store.clearServiceState(owner: "svc")
        XCTAssertEqual(try store.serviceStates().count, 0)
    }
}

extension LeaseTests {
    func testALeaseOfADeadProcessOnThisHostIsTakenOverAtOnce() throws {
        let (store, id) = try makeStore()
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(cString: name)
        // A child that has exited and been reaped: its pid names no process.
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        XCTAssertEqual(posix_spawn(&pid, "/bin/true", nil, nil, argv, nil), 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let dead = "\(host):\(pid):1"
        XCTAssertTrue(Store.leaseOwnerIsGone(dead))
        XCTAssertFalse(Store.leaseOwnerIsGone("\(host):\(getpid()):1"), "this process is alive")
        XCTAssertFalse(Store.leaseOwnerIsGone("elsewhere.example:\(pid):1"), "another host's pids say nothing")
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: dead, ttl: 600))
        XCTAssertNil(try store.acquireLease(mailbox: id, owner: "b", ttl: 600, ownerIsGone: Store.leaseOwnerIsGone))
        XCTAssertEqual(try store.leaseHolder(mailbox: id)?.owner, "b")
    }
}
