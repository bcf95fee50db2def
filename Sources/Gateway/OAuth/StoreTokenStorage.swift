import Foundation
import MailStore
import OAuth

/// OAuth's `TokenStorage` over the store's `oauth_tokens` row of one (oauth name, user).
struct StoreTokenStorage: TokenStorage {
    let store: Store
    let name: String
    let user: String

    func takeRefreshTurn(owner: String, lease: TimeInterval,
                         needsRefresh: (StoredToken?) -> Bool) throws -> RefreshTurn {
        let turn = try store.takeOAuthRefreshTurn(name: name, user: user, owner: owner, lease: lease) { row in
            needsRefresh(row.map(Self.token))
        }
        switch turn {
        case .current(let row): return .current(Self.token(row))
        case .yours(let row): return .yours(row.map(Self.token))
        case .busy(let owner, let until): return .busy(owner: owner, until: until)
        }
    }

    func finishRefresh(owner: String, token: StoredToken?) throws {
        try store.finishOAuthRefresh(name: name, user: user, owner: owner, accessToken: token?.accessToken,
                                     refreshToken: token?.refreshToken, expiresAt: token?.expiresAt,
                                     obtainedAt: token?.obtainedAt)
    }

    func abandonRefresh(owner: String) throws {
        try store.abandonOAuthRefresh(name: name, user: user, owner: owner)
    }

    static func token(_ row: OAuthTokenRow) -> StoredToken {
        StoredToken(accessToken: row.accessToken, refreshToken: row.refreshToken, expiresAt: row.expiresAt,
                    obtainedAt: row.obtainedAt)
    }
}
