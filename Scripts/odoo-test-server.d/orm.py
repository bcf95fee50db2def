"""The records odoo-test-server reads out for `mailgate doctor`, as Odoo's ORM answers them.

Models (by Odoo's own names, version-appropriate):
  mail.alias.domain     name, catchall_alias, bounce_alias                       (17+ only)
  mail.alias            alias_name, alias_model_id, alias_domain_id + alias_full_name (17+)
                        — one per STATE["aliases"] entry ("sales@acme.test": "crm.lead")
  fetchmail.server      name, server, port, user, server_type, state, active   (STATE["fetchmail_servers"];
                        absent before 17 when STATE["fetchmail_installed"] is False)
  ir.config_parameter   key, value                                             (STATE["config_parameters"])
  ir.model              model, name                                            (STATE["models"] + the mail models)
  STATE["models"]       the business models, rows from the pushed records (id only)

Methods: search_read(domain, fields), search_count(domain), read(ids, fields). A domain is
Odoo's prefix notation ('&', '|', '!' and [field, op, value] leaves with =, !=, in, not in,
ilike, =ilike); a many2one reads as [id, display_name] and compares by id. archived
(active = False) rows are left out, as Odoo's search does.

Failures, raised as Odoo raises them (the server turns them into each protocol's fault):
  UnknownModel  env[model] fails: XML-RPC Fault 2 "Object x doesn't exist", JSON-2 404
  AccessError   the model ACL refuses read: fetchmail.server and ir.config_parameter are
                base.group_system only (STATE["settings_rights"] False), or a model listed in
                STATE["unreadable_models"]; the text is ir.model.access's _make_access_error
  InvalidField  a field not on the model (e.g. alias_full_name before 17): ValueError
"""

DESCRIPTIONS = {
    "crm.lead": "Lead/Opportunity", "helpdesk.ticket": "Helpdesk Ticket", "project.task": "Task",
    "hr.applicant": "Applicant", "res.partner": "Contact", "mail.alias": "Email Aliases",
    "mail.alias.domain": "Email Domain", "fetchmail.server": "Incoming Mail Server",
    "ir.config_parameter": "System Parameter", "ir.model": "Models", "mail.thread": "Email Thread",
    "mail.message": "Message",
}
SETTINGS_ONLY = ("fetchmail.server", "ir.config_parameter")


class UnknownModel(Exception):
    pass


class AccessError(Exception):
    pass


class InvalidField(Exception):
    pass


def system_models(state):
    models = ["mail.thread", "mail.message", "mail.alias", "ir.config_parameter", "ir.model"]
    # fetchmail is part of mail from 17 on; before, its own module (STATE["fetchmail_installed"])
    if state["version"] >= 17 or state.get("fetchmail_installed", True):
        models.append("fetchmail.server")
    if state["version"] >= 17:
        models.append("mail.alias.domain")
    return models


def all_models(state):
    return system_models(state) + [m for m in state["models"] if m not in system_models(state)]


def model_ref(state, model):
    models = all_models(state)
    if model not in models:
        return False
    return [models.index(model) + 1, DESCRIPTIONS.get(model, model)]


def rows(state, records, model):
    """Every row of `model` (archived ones included), each a dict with its id."""
    version = state["version"]
    if model not in all_models(state):
        raise UnknownModel(model)
    if model == "mail.alias.domain":
        return [dict(id=n + 1, name=d["name"], catchall_alias=d.get("catchall_alias", "catchall"),
                     bounce_alias=d.get("bounce_alias", "bounce"))
                for n, d in enumerate(state["alias_domains"])]
    if model == "mail.alias":
        out = []
        domains = {d["name"].lower(): n + 1 for n, d in enumerate(state["alias_domains"])}
        for n, (address, target) in enumerate(sorted(state["aliases"].items())):
            local, _, domain = address.partition("@")
            row = dict(id=n + 1, alias_name=local, alias_model_id=model_ref(state, target))
            if version >= 17:
                row["alias_domain_id"] = [domains[domain.lower()], domain] if domain.lower() in domains else False
                row["alias_full_name"] = address if domain.lower() in domains else local
            out.append(row)
        return out
    if model == "fetchmail.server":
        return [dict(id=n + 1, name=s.get("name", "Server %d" % (n + 1)), server=s["server"], port=s.get("port", 993),
                     user=s["user"], server_type=s.get("server_type", "imap"), state=s.get("state", "done"),
                     active=s.get("active", True))
                for n, s in enumerate(state["fetchmail_servers"])]
    if model == "ir.config_parameter":
        return [dict(id=n + 1, key=k, value=v) for n, (k, v) in enumerate(sorted(state["config_parameters"].items()))]
    if model == "ir.model":
        return [dict(id=n + 1, model=m, name=DESCRIPTIONS.get(m, m)) for n, m in enumerate(all_models(state))]
    return [dict(id=r["id"]) for r in records if r["model"] == model]


def check_access(state, model):
    settings_only = model in SETTINGS_ONLY and not state.get("settings_rights", True)
    if settings_only or model in state.get("unreadable_models", []):
        groups = "\t- Administration/Settings" if model in SETTINGS_ONLY else "\t- Sales / Administrator"
        raise AccessError("You are not allowed to access '%s' (%s) records.\n\n"
                          "This operation is allowed for the following groups:\n%s\n\n"
                          "Contact your administrator to request access if necessary."
                          % (DESCRIPTIONS.get(model, model), model, groups))


def value_of(row, model, field):
    if field not in row:
        raise InvalidField("Invalid field %r on model %r" % (field, model))
    value = row[field]
    return value[0] if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) else value


def leaf(row, model, item):
    field, op, wanted = item
    value = value_of(row, model, field)
    if op == "=":
        return value == wanted
    if op == "!=":
        return value != wanted
    if op == "in":
        return value in wanted
    if op == "not in":
        return value not in wanted
    if op in ("ilike", "=ilike"):
        text, pattern = str(value or "").lower(), str(wanted).lower()
        return text == pattern if op == "=ilike" else pattern in text
    raise ValueError("Invalid leaf %r" % (item,))


def matches(row, model, domain):
    stack = []
    for item in reversed(domain or []):
        if item == "&":
            a, b = stack.pop(), stack.pop()
            stack.append(a and b)
        elif item == "|":
            a, b = stack.pop(), stack.pop()
            stack.append(a or b)
        elif item == "!":
            stack.append(not stack.pop())
        else:
            stack.append(leaf(row, model, item))
    return all(stack)


def search(state, records, model, domain):
    check_access(state, model)
    found = rows(state, records, model)
    for row in found:  # Odoo validates every leaf's field, matched or not
        for item in domain or []:
            if isinstance(item, (list, tuple)):
                value_of(row, model, item[0])
    return [r for r in found if r.get("active", True) and matches(r, model, domain)]


def project(row, model, fields):
    fields = fields or [f for f in row if f != "active"]
    out = {"id": row["id"]}
    for field in fields:
        if field not in row:
            raise InvalidField("Invalid field %r on model %r" % (field, model))
        out[field] = row[field]
    return out


def call(state, records, model, method, args, kwargs):
    """search_read / search_count / read, positional or named arguments as execute_kw and JSON-2 pass them.
    Like Odoo's search_read, no row found answers [] before any field is read."""
    if method == "search_read":
        domain = args[0] if args else kwargs.get("domain")
        fields = args[1] if len(args) > 1 else kwargs.get("fields")
        return [project(r, model, fields) for r in search(state, records, model, domain)]
    if method == "search_count":
        domain = args[0] if args else kwargs.get("domain")
        return len(search(state, records, model, domain))
    if method == "read":
        ids = args[0] if args else kwargs.get("ids")
        fields = args[1] if len(args) > 1 else kwargs.get("fields")
        check_access(state, model)
        return [project(r, model, fields) for r in rows(state, records, model) if r["id"] in ids]
    raise UnknownMethod("The method '%s.%s' does not exist" % (model, method))


class UnknownMethod(Exception):
    pass
