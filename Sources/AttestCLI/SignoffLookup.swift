import AttestCore

/// Whether a quarter has a sign-off on HEAD, for `attest status`. The seam that the
/// render/sign work fills in: until sign-off commits can be found, it knows nothing and
/// `status` prints only the schedule.
struct SignoffLookup {
    struct State {
        let text: String
        let json: String
    }

    let context: Context

    func state(of quarter: Quarter) -> State? { nil }
}
