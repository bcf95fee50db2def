import MailDNS

extension DomainDNS {
    /// `dns.spf.single`, `dns.spf.include` and `dns.spf.lookups`, from one read of the
    /// domain's TXT records and one walk of its policy (RFC 7208):
    /// - single: exactly one `v=spf1` record (§4.5); `+all`/`?all` is a warning;
    /// - include: every `[doctor] spf_include` is reached through `include:`/`redirect=`;
    /// - lookups: at most 10 DNS-querying terms and 2 void lookups in the worst case (§4.6.4),
    ///   and no other permerror on the way (an include without a record, a loop).
    func spfChecks() -> [DoctorCheck] {
        let (single, include, lookups) = ("dns.spf.single", "dns.spf.include", "dns.spf.lookups")
        // Compared with the walk's targets, which are lower-case without the root's dot.
        let senders = settings.spfInclude.map { $0.lowercased().hasSuffix(".") ? String($0.lowercased().dropLast()) : $0.lowercased() }
        let noSenders: DoctorCheck? = senders.isEmpty
            ? .skip(include, domain, "no [doctor] spf_include configured: no sender to look for") : nil

        let records: [String]
        do {
            records = try resolver.txt(domain).filter(SPFRecord.isSPF)
        } catch where error.isNoRecord {
            records = []
        } catch {
            return [unanswered(single, domain, error), noSenders ?? unanswered(include, domain, error),
                    unanswered(lookups, domain, error)]
        }

        guard records.count == 1 else {
            let publish = records.isEmpty
                ? "publish one TXT at \(domain): \(SPFFix.fresh(including: senders))"
                : "merge the \(records.count) records into one: \(SPFFix.merged(records))"
            let found = records.isEmpty
                ? "no SPF record (no TXT at \(domain) starts with v=spf1): receivers cannot tell your servers from forgers"
                : "\(records.count) SPF records, which receivers treat as a permerror (RFC 7208 §4.5): "
                  + records.map { "\"\($0)\"" }.joined(separator: ", ")
            return [
                .fail(single, domain, found, fix: publish),
                noSenders ?? .fail(include, domain, records.isEmpty ? "no SPF record authorises \(senders.joined(separator: ", "))"
                                   : "\(records.count) SPF records: receivers stop with a permerror before any include", fix: publish),
                .skip(lookups, domain, records.isEmpty ? "no SPF record to count" : "\(records.count) SPF records: counted once merged (see dns.spf.single)"),
            ]
        }

        let text = records[0]
        let record: SPFRecord
        do {
            record = try SPFRecord.parse(text)
        } catch {
            let fix = "correct or remove \(error.term) in \"\(text)\""
            return [
                .fail(single, domain, "the SPF record does not parse, a permerror at receivers: \(error)", fix: fix),
                noSenders ?? .fail(include, domain, "the SPF record does not parse: no sender is authorised", fix: fix),
                .skip(lookups, domain, "the SPF record does not parse (see dns.spf.single)"),
            ]
        }

        var walk = SPFWalk(resolver: resolver)
        walk.walk(record, at: domain)
        return [singleCheck(text, walk), noSenders ?? includeCheck(text, senders, walk), lookupsCheck(text, walk)]
    }

    private func singleCheck(_ text: String, _ walk: SPFWalk) -> DoctorCheck {
        let id = "dns.spf.single"
        guard let permissive = walk.permissive.first else { return .ok(id, domain, "one SPF record: \"\(text)\"") }
        return .warn(id, domain, "one SPF record, but \(permissive) lets any server pass as \(domain): \"\(text)\"",
                     fix: permissive.contains(" in ")
                        ? "remove the include whose record ends in +all, or have its owner fix it"
                        : "end the record with ~all (or -all): \(SPFFix.softened(text))")
    }

    private func includeCheck(_ text: String, _ senders: [String], _ walk: SPFWalk) -> DoctorCheck {
        let id = "dns.spf.include"
        let missing = senders.filter { !walk.authorised.contains($0) }
        if missing.isEmpty {
            return .ok(id, domain, "authorises \(senders.joined(separator: ", ")) (through include:/redirect=)")
        }
        if let error = walk.unanswered.first {
            return unanswered(id, domain, error)
        }
        let broken = missing.filter { walk.broken.contains($0) }
        if !broken.isEmpty {
            return .fail(id, domain, "include:\(broken.joined(separator: ", include:")) is there, but publishes no usable SPF record (a permerror)",
                         fix: "check the spelling of include:\(broken[0]) against the sender's documentation")
        }
        return .fail(id, domain, "does not authorise \(missing.joined(separator: ", ")): \"\(text)\"",
                     fix: "add include:\(missing.joined(separator: " include:")) before the all term: \(SPFFix.adding(missing, to: text))")
    }

    private func lookupsCheck(_ text: String, _ walk: SPFWalk) -> DoctorCheck {
        let id = "dns.spf.lookups"
        let counts = "\(walk.truncated ? "at least " : "")\(walk.lookups) DNS-querying term\(walk.lookups == 1 ? "" : "s") "
            + "(at most \(SPFWalk.lookupLimit)), \(walk.voids.count) void lookup\(walk.voids.count == 1 ? "" : "s") (at most \(SPFWalk.voidLimit))"
        var problems: [String] = []
        if walk.lookups > SPFWalk.lookupLimit {
            problems.append("\(counts): receivers stop with a permerror past the limit (RFC 7208 §4.6.4)")
        }
        if walk.voids.count > SPFWalk.voidLimit {
            problems.append("names that do not resolve: \(walk.voids.joined(separator: ", "))")
        }
        problems += walk.permerrors
        if !problems.isEmpty {
            var fixes: [String] = []
            if walk.lookups > SPFWalk.lookupLimit {
                fixes.append("flatten the policy: replace includes of fixed ranges by their ip4:/ip6: terms and drop a, mx and ptr terms the domain does not send from")
            }
            if walk.voids.count > SPFWalk.voidLimit {
                fixes.append("remove the terms that name \(walk.voids.joined(separator: ", "))")
            }
            if !walk.permerrors.isEmpty {
                fixes.append("fix or remove the broken term(s) above")
            }
            let summary = walk.lookups > SPFWalk.lookupLimit || walk.voids.count > SPFWalk.voidLimit ? problems : [counts] + problems
            return .fail(id, domain, summary.joined(separator: "; "), fix: fixes.joined(separator: "; "))
        }
        if let error = walk.unanswered.first {
            var check = unanswered(id, domain, error)
            check.found += " (counted so far: \(counts))"
            return check
        }
        let macros = walk.macros.isEmpty ? "" : "; not followed (macros depend on the message): \(walk.macros.joined(separator: " "))"
        return .ok(id, domain, counts + macros)
    }
}
