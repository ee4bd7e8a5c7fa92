//! `-cpu MODEL[,PROPERTY=VALUE...]`: the CPU models and properties
//! qemu-riscv64 7.2 accepts, turned into the guest ISA ([`isa`]) the way
//! QEMU builds its CPU: the model's extensions (QEMU 7.2's `rv64`: RV64GC +
//! Zihintpause + Zba/Zbb/Zbc/Zbs), then each property turning one on or off.
//! A model or an extension ferrovm lacks is refused with a message saying
//! so; properties that only matter to a whole-system emulator are accepted
//! and change nothing. QEMU 10's models `max`, `rva22u64` and `rva23u64`
//! are known too (`max`: everything ferrovm implements), and so are its
//! extension properties, each named as the extension (`zicond=on`,
//! `zvkned=true`...), for every extension ferrovm implements.

use anyhow::bail;
use ferrovm_engine::ExtSet;
use ferrovm_engine::riscv::Ext as IsaExt;

/// QEMU 7.2's riscv64 CPU models (`qemu-riscv64 -cpu help`), and whether
/// ferrovm runs what each one runs.
const MODELS: &[(&str, Option<&str>)] = &[
    ("any", None),
    ("rv64", None),
    ("shakti-c", None),
    ("sifive-e51", None),
    ("sifive-u54", None),
    ("x-rv128", Some("ferrovm runs RV64 programs only (x-rv128 is QEMU's experimental 128-bit CPU)")),
    // QEMU 10's (`qemu-riscv64 -cpu help`).
    ("max", None),
    ("rva22u64", None),
    ("rva23u64", None),
];

/// The extensions of QEMU 7.2's model (`target/riscv/cpu.c`: `rv64` and
/// `any` are RV64GC with the default-on properties Zihintpause and
/// Zba/Zbb/Zbc/Zbs; `sifive-u54` and `shakti-c` RV64GC; `sifive-e51`
/// RV64IMAC).
fn model_isa(model: &str) -> ExtSet {
    let gc = ExtSet::RV64GC;
    match model {
        "sifive-u54" | "shakti-c" => gc,
        "sifive-e51" => gc.without(IsaExt::F).without(IsaExt::D),
        "max" => ExtSet::IMPLEMENTED,
        "rva22u64" => ExtSet::RVA22U64,
        "rva23u64" => ExtSet::RVA23U64,
        _ => gc.with(IsaExt::Zihintpause).with(IsaExt::Zba).with(IsaExt::Zbb).with(IsaExt::Zbc).with(IsaExt::Zbs),
    }
}

/// The ferrovm extension a QEMU property switches (`None`: a property
/// with no instructions a user-mode program can see).
fn prop_ext(key: &str) -> Option<IsaExt> {
    Some(match key {
        "m" => IsaExt::M,
        "a" => IsaExt::A,
        "f" => IsaExt::F,
        "d" => IsaExt::D,
        "c" => IsaExt::C,
        "Zicsr" => IsaExt::Zicsr,
        "Zifencei" => IsaExt::Zifencei,
        "Zihintpause" => IsaExt::Zihintpause,
        "zmmul" => IsaExt::Zmmul,
        "zba" => IsaExt::Zba,
        "zbb" => IsaExt::Zbb,
        "zbc" => IsaExt::Zbc,
        "zbs" => IsaExt::Zbs,
        "zbkb" => IsaExt::Zbkb,
        "zbkc" => IsaExt::Zbkc,
        "zbkx" => IsaExt::Zbkx,
        "zkt" => IsaExt::Zkt,
        "Zfh" => IsaExt::Zfh,
        "Zfhmin" => IsaExt::Zfhmin,
        "v" => IsaExt::V,
        _ => return None,
    })
}

/// What ferrovm does with a boolean property set to on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ext {
    /// Implemented (or a mode/system feature a user-mode VM has no use
    /// for): accepted.
    Have,
    /// An extension ferrovm does not implement: refused when turned on.
    Lack(&'static str),
}

/// The boolean properties of QEMU 7.2's `rv64` CPU (`target/riscv/cpu.c`,
/// `riscv_cpu_extensions`; names are case-sensitive, as in QEMU).
#[rustfmt::skip]
const BOOL_PROPS: &[(&str, Ext)] = &[
    ("i", Ext::Have), ("m", Ext::Have), ("a", Ext::Have), ("f", Ext::Have), ("d", Ext::Have),
    ("c", Ext::Have), ("g", Ext::Have), ("s", Ext::Have), ("u", Ext::Have), ("h", Ext::Have),
    ("Zicsr", Ext::Have), ("Zifencei", Ext::Have), ("Zihintpause", Ext::Have), ("zmmul", Ext::Have),
    ("zba", Ext::Have), ("zbb", Ext::Have), ("zbc", Ext::Have), ("zbs", Ext::Have),
    ("zbkb", Ext::Have), ("zbkc", Ext::Have), ("zbkx", Ext::Have), ("zkt", Ext::Have),
    ("Zfh", Ext::Have), ("Zfhmin", Ext::Have),
    ("mmu", Ext::Have), ("pmp", Ext::Have), ("debug", Ext::Have), ("svinval", Ext::Have),
    ("svnapot", Ext::Have), ("svpbmt", Ext::Have), ("x-epmp", Ext::Have), ("x-smaia", Ext::Have),
    ("x-ssaia", Ext::Have),
    ("v", Ext::Have), ("e", Ext::Lack("E (the 16-register base)")),
    ("Zve32f", Ext::Lack("Zve32f (vectors)")), ("Zve64f", Ext::Lack("Zve64f (vectors)")),
    ("zk", Ext::Lack("Zk (scalar cryptography)")), ("zkn", Ext::Lack("Zkn (NIST cryptography)")),
    ("zknd", Ext::Lack("Zknd (AES decryption)")), ("zkne", Ext::Lack("Zkne (AES encryption)")),
    ("zknh", Ext::Lack("Zknh (SHA-2)")), ("zkr", Ext::Lack("Zkr (entropy source)")),
    ("zks", Ext::Lack("Zks (ShangMi cryptography)")), ("zksed", Ext::Lack("Zksed (SM4)")),
    ("zksh", Ext::Lack("Zksh (SM3)")),
    ("zdinx", Ext::Lack("Zdinx (floating point in integer registers)")),
    ("zfinx", Ext::Lack("Zfinx (floating point in integer registers)")),
    ("zhinx", Ext::Lack("Zhinx (half precision in integer registers)")),
    ("zhinxmin", Ext::Lack("Zhinxmin (half precision in integer registers)")),
    ("x-j", Ext::Lack("J (dynamically translated languages)")),
    ("xventanacondops", Ext::Lack("XVentanaCondOps (Ventana conditional operations)")),
];

/// Valued properties of `rv64` that describe the privileged architecture
/// or vector parameters: accepted (`vlen` is read by [`vlen`]).
const OTHER_PROPS: &[&str] = &["priv_spec", "vext_spec", "vlen", "elen", "mvendorid", "marchid", "mimpid"];

/// The `vlen=N` property of a `-cpu` string, if it has one.
pub fn vlen(spec: &str) -> anyhow::Result<Option<u32>> {
    for prop in spec.split(',').skip(1) {
        if let Some(v) = prop.strip_prefix("vlen=") {
            return match v.parse() {
                Ok(n) => Ok(Some(n)),
                Err(_) => bail!("-cpu: vlen expects a number of bits, got `{v}`"),
            };
        }
    }
    Ok(None)
}

/// QEMU's boolean values (`qapi` `parse_type_bool`, as `-cpu` reads them).
fn boolean(v: &str) -> Option<bool> {
    match v {
        "on" | "yes" | "true" | "y" => Some(true),
        "off" | "no" | "false" | "n" => Some(false),
        _ => None,
    }
}

/// What `-cpu help` prints (QEMU's list, one model a line).
pub fn help() -> String {
    MODELS.iter().map(|(m, _)| format!("{m}\n")).collect()
}

/// Checks `-cpu` (or `QEMU_CPU`) `spec`; the guest ISA if ferrovm runs what
/// a CPU of that description runs.
pub fn isa(spec: &str) -> anyhow::Result<ExtSet> {
    if spec.is_empty() {
        bail!("-cpu: the CPU model must not be empty");
    }
    let mut parts = spec.split(',');
    let model = parts.next().unwrap_or_default();
    match MODELS.iter().find(|(m, _)| *m == model) {
        None => bail!("-cpu: unknown CPU model `{model}` (`-cpu help` lists them)"),
        Some((_, Some(why))) => bail!("-cpu {model}: {why}"),
        Some(_) => {}
    }
    let mut set = model_isa(model);
    for prop in parts.filter(|p| !p.is_empty()) {
        let Some((key, value)) = prop.split_once('=') else {
            bail!("-cpu: expected PROPERTY=VALUE, found `{prop}`");
        };
        if !matches!(model, "rv64" | "any" | "max" | "rva22u64" | "rva23u64") {
            bail!("-cpu {model}: the model has no property `{key}` (properties apply to rv64 and max)");
        }
        if OTHER_PROPS.contains(&key) {
            continue;
        }
        // QEMU 10 names an extension's property as the extension.
        let named = IsaExt::from_name(key).filter(|e| e.name() == key);
        let ext = match BOOL_PROPS.iter().find(|(k, _)| *k == key) {
            Some(&(_, ext)) => ext,
            None if named.is_some() => Ext::Have,
            None => bail!("-cpu {model}: no property `{key}`"),
        };
        let Some(on) = boolean(value) else {
            bail!("-cpu {model}: property `{key}` expects on or off, got `{value}`");
        };
        match ext {
            Ext::Lack(what) if on => {
                bail!("-cpu {model}: ferrovm does not implement the {what} extension (`--isa` lists what it has)")
            }
            _ if key == "i" && !on => bail!("-cpu {model}: the I base ISA cannot be turned off"),
            _ => {}
        }
        if key == "g" {
            for e in [IsaExt::M, IsaExt::A, IsaExt::F, IsaExt::D, IsaExt::Zicsr, IsaExt::Zifencei] {
                set = if on { set.with(e) } else { set.without(e) };
            }
        } else if let Some(e) = prop_ext(key).or(named) {
            set = if on { set.with(e) } else { set.without(e) };
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::isa as check;
    use ferrovm_engine::ExtSet;
    use ferrovm_engine::riscv::Ext;

    #[test]
    fn qemu_cpu_strings() {
        for ok in ["rv64", "any", "sifive-u54", "rv64,v=false", "rv64,zba=true,zbb=on", "rv64,vlen=128", "rv64,"] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
        for (bad, says) in [
            ("rv64,zk=yes", "Zk"),
            ("x-rv128", "RV64"),
            ("rv32", "unknown CPU model"),
            ("rv64,v", "PROPERTY=VALUE"),
            ("rv64,v=1", "on or off"),
            ("rv64,zfoo=true", "no property"),
            ("sifive-u54,f=false", "rv64"),
            ("", "empty"),
        ] {
            let err = check(bad).expect_err(bad).to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn properties_shape_the_isa() {
        let rv64 = check("rv64").expect("rv64");
        assert!(rv64.has(Ext::Zbb) && !rv64.has(Ext::Zfh) && !rv64.has(Ext::Zicond));
        let zfh = check("rv64,Zfh=on,zba=off").expect("Zfh");
        assert!(zfh.has(Ext::Zfh) && zfh.has(Ext::Zfhmin) && !zfh.has(Ext::Zba));
        assert_eq!(check("sifive-u54").ok(), Some(ExtSet::RV64GC));
        assert!(check("sifive-e51").is_ok_and(|e| !e.has(Ext::F)));
        assert!(check("rv64,v=true,vlen=256,vext_spec=v1.0").is_ok_and(|e| e.has(Ext::V)));
        assert!(!check("rv64").is_ok_and(|e| e.has(Ext::V)));
        assert_eq!(super::vlen("rv64,v=true,vlen=256").ok(), Some(Some(256)));
    }

    /// QEMU 10's models and its properties named as the extensions.
    #[test]
    fn qemu10_models_and_properties() {
        assert_eq!(check("max").ok(), Some(ExtSet::IMPLEMENTED));
        assert_eq!(check("rva23u64").ok(), Some(ExtSet::RVA23U64));
        assert_eq!(check("rva22u64").ok(), Some(ExtSet::RVA22U64));
        assert!(check("max,vlen=256").is_ok_and(|e| e.has(Ext::Zvkned)));
        let crypto = check("rv64,v=true,zvkned=true,zvknha=true,zvkb=true").expect("vector crypto");
        assert!(crypto.has(Ext::Zvkned) && crypto.has(Ext::Zvknha) && crypto.has(Ext::Zvkb));
        assert!(check("rv64,zicond=on,zfa=on").is_ok_and(|e| e.has(Ext::Zicond) && e.has(Ext::Zfa)));
        assert!(check("max,zicond=off").is_ok_and(|e| !e.has(Ext::Zicond)));
        let err = check("rv64,zvkfoo=on").expect_err("unknown").to_string();
        assert!(err.contains("no property"), "{err}");
        // Scalar crypto stays refused, with the reason.
        assert!(check("max,zkne=on").expect_err("zkne").to_string().contains("AES encryption"));
    }
}
