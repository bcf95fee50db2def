import Foundation
@testable import Gateway
import XCTest

/// Inputs Fuzz/ConfigFuzz found (`Scripts/fuzz config`): each must be a ConfigError naming the
/// file and line (exit 78), never a crash. Before TOMLHeaderGuard, toml++ aborted the process
/// (an assertion in parse_key) on a table header that starts with a character no key can
/// start with.
final class ConfigFuzzRegressionTests: XCTestCase {
    private func parse(_ text: String) -> ConfigError? {
        do {
            _ = try Config.parse(text, file: "/fuzz/mailgate.toml", environment: [:])
            return nil
        } catch {
            return error
        }
    }

    func testTableHeadersThatStartWithAnImpossibleCharacterAreSyntaxErrors() {
        for header in ["[=]", "[[=]]", "[.a]", "[ = ]", "[#]", "[,]", "[!]", "[\\]", "[= 5"] {
            let error = parse("[store]\npath = \"m.sqlite\"\n\n\(header)\n")
            XCTAssertEqual(error?.line, 4, header)
            XCTAssertEqual(error?.exitCode, 78, header)
            XCTAssert(error?.description.contains("/fuzz/mailgate.toml") == true, header)
        }
    }

    /// The crash input as found (artifacts/config/crash-8464fda…), a mutated Fuzz/Seeds/config/small.toml.
    func testTheFuzzerCrashInput() {
        let text = "[store]\npath = \"m.sqlite\"\nbusy_timeout = 5\n\n[defaults]\ndomain = \"acme.test\"\n"
            + "max_message_size = \"0MiB\"\ninterval = \"30s\"\n\n[= 5\n\n[defaults]\n"
        XCTAssertEqual(parse(text)?.line, 10)
    }

    /// What looks like a header but is not one stays toml++'s to judge: brackets inside
    /// multi-line arrays, strings and comments.
    func testBracketsInsideValuesAreNotHeaders() {
        let text = """
            [defaults]
            domain = "acme.test"
            loop_allowed = [
              "[=]@acme.test", # [=] in a comment
              '[.x]',
            ]
            [alias.sales]
            model = "crm.lead"
            values = { note = \"\"\"
            [= not a header
            \"\"\" }
            """
        XCTAssertNil(TOMLHeaderGuard.badHeaderLine(in: text))
        XCTAssertEqual(TOMLHeaderGuard.badHeaderLine(in: "a = [\n [1], [2]\n]\n[=]\n"), 4)
    }
}
