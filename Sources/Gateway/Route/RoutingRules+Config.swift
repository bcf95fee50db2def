import Routing

extension Config {
    /// The routing rules: every alias (with a url or routing-only) and the loop guard.
    public var routingRules: RoutingRules {
        RoutingRules(
            aliases: aliases.map { alias in
                AliasRule(
                    name: alias.name,
                    address: alias.emailAddress ?? alias.name,
                    role: AliasRule.Role(rawValue: alias.routing.role ?? "") ?? .normal,
                    model: alias.routing.model,
                    values: alias.routing.values,
                    contact: AliasRule.ContactPolicy(rawValue: alias.routing.contact ?? "") ?? .everyone,
                    bouncedContent: alias.routing.bouncedContent,
                    allowedDomains: alias.routing.allowedDomains)
            },
            domain: defaults.domain,
            loopThreshold: defaults.loopThreshold,
            loopMinutes: defaults.loopMinutes,
            loopAllowed: Set(defaults.loopAllowed))
    }
}
