/// `odoo.*`: the Odoo database agrees with the configuration.
extension Doctor {
    func odooChecks() -> [DoctorCheck] {
        []
    }
}
