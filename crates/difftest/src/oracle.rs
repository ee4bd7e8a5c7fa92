//! Which QEMU is the oracle, and so what the generator may emit.
//!
//! - [`Oracle::Qemu72`] (the default): Debian 12's `qemu-riscv64` 7.2 (or
//!   `$FERROVM_QEMU`), run as `-cpu rv64,zba=true,...` with exactly the
//!   extensions the generator uses. It lacks most of RVA23U64, so the
//!   generator emits RV64GC, Zba, Zbb, Zbc, Zbs, Zfh, Zbkb, Zbkx and V 1.0
//!   only, and works around two QEMU 7.2 bugs ([`crate::known`]). Cases are
//!   exactly what they were before there was a second oracle.
//! - [`Oracle::Qemu10`]: QEMU 10.0 (`tests/qemu/fetch.sh` puts it in
//!   `target/qemu-10/qemu-riscv64`; or `$FERROVM_QEMU_NEW`), run as
//!   `-cpu max` (`-cpu max,vlen=N` for vector cases). On top of the above
//!   the generator emits Zicond, Zfa, Zimop, Zcmop, Zcb, Zawrs,
//!   `cbo.clean`, `cbo.flush` and `cbo.zero` (scalar), and Zvbb, Zvbc and
//!   the vector crypto extensions Zvkned, Zvknhb, Zvkg, Zvksed and Zvksh
//!   (vector), leaving out the reserved vector encodings QEMU 10 rejects;
//!   neither QEMU 7.2 workaround is applied (both bugs are fixed in QEMU
//!   10, so ferrovm's `ctzw` and `rtz` conversions are compared directly).

use std::path::{Path, PathBuf};

/// The QEMU a campaign compares against (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Oracle {
    /// `qemu-riscv64` 7.2 (Debian 12): RV64GC + bit manipulation + V 1.0.
    #[default]
    Qemu72,
    /// QEMU 10.0 `-cpu max`: RVA23U64 and the vector crypto extensions too.
    Qemu10,
}

impl Oracle {
    /// Both oracles, oldest first.
    pub const ALL: [Oracle; 2] = [Oracle::Qemu72, Oracle::Qemu10];

    /// The name `--oracle` takes (`qemu7`, `qemu10`).
    pub fn name(self) -> &'static str {
        match self {
            Oracle::Qemu72 => "qemu7",
            Oracle::Qemu10 => "qemu10",
        }
    }

    /// Whether the oracle implements the RVA23U64 additions and the vector
    /// crypto extensions (and the generator may emit them).
    pub fn rva23(self) -> bool {
        self == Oracle::Qemu10
    }

    /// Where the oracle's binary is: for QEMU 7.2 `$FERROVM_QEMU` or
    /// `qemu-riscv64` on `PATH`; for QEMU 10 `$FERROVM_QEMU_NEW` or
    /// `<repo>/target/qemu-10/qemu-riscv64` (`tests/qemu/fetch.sh`).
    /// `None` when it is not there.
    pub fn binary(self) -> Option<PathBuf> {
        match self {
            Oracle::Qemu72 => match std::env::var_os("FERROVM_QEMU") {
                Some(p) => Some(PathBuf::from(p)),
                None => find_in_path("qemu-riscv64"),
            },
            Oracle::Qemu10 => {
                let p = match std::env::var_os("FERROVM_QEMU_NEW") {
                    Some(p) => PathBuf::from(p),
                    None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/qemu-10/qemu-riscv64"),
                };
                p.is_file().then_some(p)
            }
        }
    }

    /// QEMU's `-cpu` value for scalar cases (`vlen: None`) or vector cases
    /// at VLEN `vlen`.
    pub fn cpu(self, vlen: Option<u32>) -> String {
        match (self, vlen) {
            (Oracle::Qemu72, None) => "rv64,zba=true,zbb=true,zbc=true,zbs=true,Zfh=true,zbkb=true,zbkx=true".into(),
            (Oracle::Qemu72, Some(v)) => format!("rv64,v=true,vlen={v},vext_spec=v1.0"),
            (Oracle::Qemu10, None) => "max".into(),
            (Oracle::Qemu10, Some(v)) => format!("max,vlen={v}"),
        }
    }
}

impl std::fmt::Display for Oracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Oracle {
    type Err = String;

    fn from_str(s: &str) -> Result<Oracle, String> {
        match s {
            "qemu7" | "qemu72" | "qemu-7.2" => Ok(Oracle::Qemu72),
            "qemu10" | "qemu-10" => Ok(Oracle::Qemu10),
            _ => Err(format!("unknown oracle {s:?} (qemu7 or qemu10)")),
        }
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}
