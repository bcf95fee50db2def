import XCTest
@testable import Routing

/// The judge's last resort (issue 14): words every family uses decide a reason no code and no
/// phrase named, as whole words, in their order, and never over a code that names one.
final class ReasonKeywordsTests: XCTestCase {
    func testAWordDecidesWhereOnlyTheCodesClassSpoke() {
        // X.7.1 alone says "not authorised": securityerror, unless the words say more.
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 Fix the PTR of your host first"),
                       .requireptr)
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "554", diagnostic: "554 5.7.1 Your IP is on our RBL"),
                       .blocked)
        XCTAssertEqual(BounceClassifier.reason(status: "5.7.1", replyCode: "550", diagnostic: "550 5.7.1 Nothing more to say"),
                       .securityerror)
        XCTAssertEqual(BounceClassifier.reason(status: nil, replyCode: "550", diagnostic: "550 Sorry, no MX for that name"),
                       .notaccept)
    }

    func testWholeWordsOnly() {
        XCTAssertEqual(ReasonKeywords.reason(in: "message refused: spam"), .spamdetected)
        XCTAssertNil(ReasonKeywords.reason(in: "message refused: spamming is not tolerated"))
        XCTAssertNil(ReasonKeywords.reason(in: "cryptographic error"), "ptr is not a word in it")
    }

    func testTheFirstRowWins() {
        // Rate words come before block words: the block is what the rate limit did.
        XCTAssertEqual(ReasonKeywords.reason(in: "too many connections from your host, blocked for an hour"), .toomanyconn)
        XCTAssertEqual(ReasonKeywords.reason(in: "blocked: listed in spamhaus"), .blocked)
    }

    func testACodeThatNamesAReasonWins() {
        XCTAssertEqual(BounceClassifier.reason(status: "5.2.2", replyCode: "552", diagnostic: "552 5.2.2 relay says no"),
                       .mailboxfull)
        XCTAssertEqual(BounceClassifier.reason(status: "5.1.1", replyCode: "550", diagnostic: "550 5.1.1 gone, spam or not"),
                       .userunknown)
    }
}
