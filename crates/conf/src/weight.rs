//! A tracked object's `weight N [reverse|noreverse]`, and the ranges keepalived accepts.

use serde::Serialize;

/// A tracked object's `weight N [reverse|noreverse]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Weight {
    /// Added to the priority (positive, when OK) or taken from it (negative, when failing).
    pub value: i64,
    /// `reverse`: the sense of the object's state is inverted.
    pub reverse: bool,
}

impl Weight {
    /// Parses `N [reverse|noreverse]` with N within -`max`..`max`.
    pub fn parse(words: &[String], max: i64) -> Result<Weight, String> {
        let value = match words.first().map(|w| w.parse::<i64>()) {
            Some(Ok(v)) if (-max..=max).contains(&v) => v,
            Some(Ok(v)) => return Err(format!("weight {v} is outside -{max}..{max}")),
            _ => return Err(format!("the weight must be a number in -{max}..{max}")),
        };
        let reverse = match words.get(1..).unwrap_or_default() {
            [] => false,
            [w] if w == "reverse" => true,
            [w] if w == "noreverse" || w == "no_reverse" => false,
            _ => return Err("only `reverse` or `noreverse` may follow the weight".into()),
        };
        Ok(Weight { value, reverse })
    }
}

/// The weight range keepalived accepts for `vrrp_script`s.
pub const SCRIPT_WEIGHT_MAX: i64 = 253;
/// The weight range keepalived accepts for `vrrp_track_process`.
pub const PROCESS_WEIGHT_MAX: i64 = 254;
/// The weight range keepalived accepts for `track_file` (the file's value is multiplied by it).
pub const FILE_WEIGHT_MAX: i64 = 2_147_483_647;
