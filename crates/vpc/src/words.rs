//! Closed sets of words (states, kinds, names the cloud spells one way): [`words!`] declares
//! each as an enum whose members serialize as the words, so the wire and the store keep the
//! cloud's spelling while the code matches on members.

/// Declares a closed set of words the cloud writes: an enum whose variants serialize as the
/// words, with `as_str` and `Display` giving the same.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            /// Every word of the set, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The words as the cloud writes them, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The word as the cloud writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The member spelled `word` exactly, if any.
            pub fn from_word(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::words::Word for $name {
            const WORDS: &'static [&'static str] = $name::WORDS;

            fn from_word(word: &str) -> Option<Self> {
                $name::from_word(word)
            }

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use words;

/// A closed set of words declared by [`words!`].
pub trait Word: Copy + 'static {
    /// The words, in declaration order.
    const WORDS: &'static [&'static str];
    /// The member spelled `word` exactly, if any.
    fn from_word(word: &str) -> Option<Self>;
    /// The word as the cloud writes it.
    fn as_str(self) -> &'static str;
}
