//! One way to give an enum its names. An enum whose variants are words in
//! files, reports and messages (components, roles, statuses, error kinds,
//! operators) is declared with `named_enum!`, which writes the one table
//! from variant to name and derives everything else from it: `ALL`,
//! `name()`, `from_name()`, `names()`, `Display`, and serde's `Serialize`
//! and `Deserialize`. So the name in a JSON report, in a message and in an
//! input file cannot disagree.
//!
//! A small macro of our own rather than a crate such as strum: it is one
//! screen of code, covers exactly these needs (with strum, serde's renames
//! would still be a second table kept in step by hand, or one more derive
//! per enum), and adds no dependency (and no proc-macro build) to a tool
//! that runs with root's keys.

/// Declares a fieldless enum whose every variant has one name:
///
/// ```ignore
/// named_enum! {
///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
///     pub enum Become {
///         Sudo = "sudo",
///         None = "none",
///     }
/// }
/// ```
///
/// The derives given are kept; `Serialize`, `Deserialize` and `Display` are
/// written by the macro and must not be derived.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $enum:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $name:literal, )+
        }
    ) => {
        $(#[$meta])*
        $vis enum $enum {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $enum {
            /// Every variant, in declaration order.
            pub const ALL: [$enum; <[&str]>::len(&[$($name),+])] = [$($enum::$variant),+];

            /// The variant's name: in input files, reports and messages.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $enum::$variant => $name, )+
                }
            }

            /// The variant with this exact name.
            pub fn from_name(name: &str) -> Option<$enum> {
                match name {
                    $( $name => Some($enum::$variant), )+
                    _ => None,
                }
            }

            /// Every name, in declaration order: for "expected one of".
            pub fn names() -> Vec<&'static str> {
                $enum::ALL.iter().map(|variant| variant.name()).collect()
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for $enum {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $enum {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$enum, D::Error> {
                let name = String::deserialize(deserializer)?;
                $enum::from_name(&name)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&name, &[$($name),+]))
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use crate::benchmark::Operator;
    use crate::component::{Component, Role};
    use crate::inventory::HostKeyPolicy;
    use crate::outcome::Status;
    use crate::transport::HostErrorKind;
    use crate::value::ValueKind;
    use std::fmt::Display;

    /// For every variant: `name()`, `Display`, serde both ways and
    /// `from_name()` agree, and names are unique.
    fn agree<T>(all: &[T], name: fn(T) -> &'static str, from_name: fn(&str) -> Option<T>, names: &[&str])
    where
        T: Copy + PartialEq + std::fmt::Debug + Display + serde::Serialize + serde::de::DeserializeOwned,
    {
        let found: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        assert_eq!(found, names);
        for &variant in all {
            let text = name(variant);
            assert_eq!(variant.to_string(), text);
            assert_eq!(serde_json::to_value(variant).unwrap(), serde_json::Value::from(text));
            assert_eq!(serde_json::from_value::<T>(serde_json::Value::from(text)).unwrap(), variant);
            assert_eq!(from_name(text), Some(variant));
        }
        for wrong in ["", "nope", &names[0].to_uppercase(), &format!("{} ", names[0])] {
            assert_eq!(from_name(wrong), None, "{wrong:?}");
            assert!(serde_json::from_value::<T>(serde_json::Value::from(wrong)).is_err());
        }
    }

    #[test]
    fn every_named_enum_has_one_name_per_variant() {
        agree(
            &Component::ALL,
            Component::name,
            Component::from_name,
            &["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet", "kube-proxy"],
        );
        agree(&Role::ALL, Role::name, Role::from_name, &["control-plane", "etcd", "worker"]);
        agree(
            &Status::ALL,
            Status::name,
            Status::from_name,
            &["pass", "fail", "warn", "waived", "manual", "not-applicable", "skip", "error"],
        );
        agree(
            &HostErrorKind::ALL,
            HostErrorKind::name,
            HostErrorKind::from_name,
            &[
                "connect",
                "handshake",
                "host-key",
                "auth",
                "sudo",
                "timeout",
                "output",
                "parse",
                "interrupted",
                "no-roles",
                "no-benchmark",
                "script-mismatch",
                "script-unsafe",
                "bastion",
                "internal",
            ],
        );
        agree(
            &ValueKind::ALL,
            ValueKind::name,
            ValueKind::from_name,
            &["bool", "int", "duration", "string", "list"],
        );
        agree(
            &Operator::ALL,
            Operator::name,
            Operator::from_name,
            &[
                "eq",
                "ne",
                "gt",
                "gte",
                "lt",
                "lte",
                "set",
                "unset",
                "contains",
                "not-contains",
                "subset-of",
                "matches",
                "mode-at-most",
                "owner",
                "exists",
            ],
        );
        agree(
            &HostKeyPolicy::ALL,
            HostKeyPolicy::name,
            HostKeyPolicy::from_name,
            &["strict", "accept-new"],
        );
        assert_eq!(Role::names(), ["control-plane", "etcd", "worker"]);
    }

    #[test]
    fn a_wrong_name_in_serde_lists_the_valid_ones() {
        let error = serde_json::from_str::<Role>("\"master\"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown variant `master`, expected one of `control-plane`, `etcd`, `worker`"
        );
    }
}
