//! The copies of an instance's last advert, kept to be sent again while the advert stays the
//! same.

use std::net::IpAddr;
use vrrp::Advert;

/// One advert's copies, one per destination, encoded (and signed once); shared, so that the
/// same copies are sent again while the advert stays the same ([`Encoded`]).
pub type Copies = std::sync::Arc<[(Vec<u8>, IpAddr)]>;

/// The copies of an instance's last advert without authentication (no `auth_hmac`, no AH):
/// a stable master advertises the same bytes every interval, encoded once.
#[derive(Debug, Default)]
pub struct Encoded(Option<(Advert, IpAddr, Vec<IpAddr>, Copies)>);

impl Encoded {
    /// The copies of `advert` from `src` to `destinations`, if they are the last encoded.
    pub(crate) fn get(
        &self,
        advert: &Advert,
        src: IpAddr,
        destinations: &[IpAddr],
    ) -> Option<Copies> {
        match &self.0 {
            Some((a, s, d, c)) if a == advert && *s == src && d == destinations => Some(c.clone()),
            _ => None,
        }
    }

    /// Keeps `copies` as those of `advert` from `src` to `destinations`.
    pub(crate) fn put(
        &mut self,
        advert: &Advert,
        src: IpAddr,
        destinations: &[IpAddr],
        copies: Copies,
    ) {
        self.0 = Some((advert.clone(), src, destinations.to_vec(), copies));
    }
}
