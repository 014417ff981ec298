//! Arrays from files: numpy `.npy` / `.npz` (crate `ndarray-npy`) and NIfTI-1 `.nii` /
//! `.nii.gz` (crate `nifti`). Native only: the page never reads files.
//!
//! Every reader looks at the header first, so a file whose shape does not fit is refused
//! before its data is read. Values come out as `f64` flat in row-major order of the
//! `[B, C, *spatial]` shape:
//! - `.npy`, or one array of an `.npz` (the one named `y` / `pred`, or the only one):
//!   the array's own shape, which must be `[B, C, *spatial]`; any numeric or bool
//!   dtype, C or Fortran order.
//! - NIfTI: one image, B = 1. Its first three dimensions (x, y, z) are the spatial ones
//!   (fewer for a 1-D or 2-D image); any further dimensions (t, and the vector
//!   components of a 5-D image) are flattened into the classes. So a label mask of dims
//!   (X, Y, Z) is `[1, 1, X, Y, Z]` and a 4-D probability map (X, Y, Z, C) is
//!   `[1, C, X, Y, Z]`, in the order numpy gives for `np.moveaxis(data, 3, 0)`. The
//!   file's `scl_slope` / `scl_inter` are applied.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use ndarray17 as nd;
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement};
use nifti::{IntoNdArray, NiftiHeader, NiftiObject, ReaderOptions};

use super::excerpt;
use crate::engine::shape::Shape;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Npy,
    Npz,
    Nifti,
}

fn kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".npy") {
        Some(Kind::Npy)
    } else if name.ends_with(".npz") {
        Some(Kind::Npz)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Some(Kind::Nifti)
    } else {
        None
    }
}

/// The path as echoed in messages.
pub fn shown(path: &Path) -> String {
    excerpt(&path.to_string_lossy())
}

/// The shape of array `name` (`"y"` or `"pred"`) in `path`, from the header only.
pub fn shape_of(path: &Path, name: &str) -> Result<Shape, String> {
    let at = |e: String| format!("`{name}` from {}: {e}", shown(path));
    let dims = match kind(path) {
        Some(Kind::Npy) => npy_header(&mut open(path)?).map(|h| h.shape),
        Some(Kind::Npz) => {
            let mut zip = Npz::open(path)?;
            let member = zip.member(name).map_err(at)?;
            zip.entry(&member)
                .and_then(|mut e| npy_header(&mut e))
                .map(|h| h.shape)
        }
        Some(Kind::Nifti) => NiftiHeader::from_file(path)
            .map_err(|e| e.to_string())
            .and_then(|h| nifti_dims(&h)),
        None => Err("unknown file type; use .npy, .npz, .nii or .nii.gz".to_string()),
    }
    .map_err(at)?;
    Shape::new(&dims).map_err(|e| at(e.to_string()))
}

/// The values of array `name` in `path`, which must have `shape` (checked on the header
/// before the data is read).
pub fn read(path: &Path, name: &str, shape: &Shape) -> Result<Vec<f64>, String> {
    let at = |e: String| format!("`{name}` from {}: {e}", shown(path));
    let found = shape_of(path, name)?;
    if &found != shape {
        return Err(at(format!(
            "shape {:?} does not match the shape {:?} of the input",
            found.dims(),
            shape.dims()
        )));
    }
    let data = match kind(path) {
        Some(Kind::Npy) => npy_values(|| open(path)),
        Some(Kind::Npz) => {
            // One member, decompressed once; each dtype attempt re-reads its header.
            let mut zip = Npz::open(path)?;
            let member = zip.member(name).map_err(at)?;
            let mut bytes = Vec::new();
            zip.entry(&member)?
                .read_to_end(&mut bytes)
                .map_err(|e| at(format!("cannot read {}: {e}", excerpt(&member))))?;
            npy_values(|| Ok(&bytes[..]))
        }
        Some(Kind::Nifti) => nifti_values(path),
        None => unreachable!("shape_of refused the file type"),
    }
    .map_err(at)?;
    debug_assert_eq!(data.len(), shape.values());
    Ok(data)
}

fn open(path: &Path) -> Result<BufReader<File>, String> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| format!("cannot read {}: {e}", shown(path)))
}

fn npy_header(r: &mut impl Read) -> Result<Header, String> {
    Header::from_reader(r).map_err(|e| format!("not a valid .npy array: {e}"))
}

/// Reads the array with the first element type whose descriptor matches, converting to
/// f64 (bool → 0/1; integers exactly up to 2^53, and labels are small).
fn npy_values<R: Read>(mut open: impl FnMut() -> Result<R, String>) -> Result<Vec<f64>, String> {
    fn attempt<T, R: Read>(r: R, to_f64: impl Fn(T) -> f64) -> Result<Option<Vec<f64>>, String>
    where
        T: ReadableElement + Copy,
    {
        match nd::ArrayD::<T>::read_npy(r) {
            Ok(a) => Ok(Some(row_major(a, to_f64))),
            Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
            Err(e) => Err(format!("cannot read the .npy data: {e}")),
        }
    }
    macro_rules! try_types {
        ($($t:ty => $conv:expr),* $(,)?) => {
            $(if let Some(v) = attempt::<$t, R>(open()?, $conv)? {
                return Ok(v);
            })*
        };
    }
    try_types!(
        f64 => |v| v,
        f32 => f64::from,
        u8 => f64::from,
        bool => |v| f64::from(u8::from(v)),
        i64 => |v| v as f64,
        i32 => f64::from,
        i16 => f64::from,
        i8 => f64::from,
        u64 => |v| v as f64,
        u32 => f64::from,
        u16 => f64::from,
    );
    let descr = npy_header(&mut open()?)?.type_descriptor;
    Err(format!(
        "unsupported dtype {}; use a float, integer or bool array",
        excerpt(&descr.to_string())
    ))
}

/// Values in row-major order, whatever the array's layout.
fn row_major<T: Copy>(a: nd::ArrayD<T>, to_f64: impl Fn(T) -> f64) -> Vec<f64> {
    a.iter().map(|&v| to_f64(v)).collect()
}

/// An `.npz` archive (a zip of `.npy` files).
struct Npz {
    zip: zip::ZipArchive<BufReader<File>>,
}

impl Npz {
    fn open(path: &Path) -> Result<Npz, String> {
        let zip = zip::ZipArchive::new(open(path)?)
            .map_err(|e| format!("{} is not a valid .npz archive: {e}", shown(path)))?;
        Ok(Npz { zip })
    }

    /// The member that holds `name`: `name` or `name.npy`, else the only array.
    fn member(&mut self, name: &str) -> Result<String, String> {
        let names: Vec<String> = self.zip.file_names().map(str::to_string).collect();
        let npy = format!("{name}.npy");
        if let Some(m) = names.iter().find(|m| **m == name || **m == npy) {
            return Ok(m.clone());
        }
        match names.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(format!(
                "the archive has no array named {name:?} (it has {}); save it with \
                 np.savez(file, y=..., pred=...)",
                excerpt(
                    &names
                        .iter()
                        .map(|n| n.trim_end_matches(".npy"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            )),
        }
    }

    fn entry(&mut self, member: &str) -> Result<impl Read + '_, String> {
        self.zip
            .by_name(member)
            .map_err(|e| format!("cannot read {}: {e}", excerpt(member)))
    }
}

/// A NIfTI image's `[1, C, *spatial]` (see the module comment).
fn nifti_dims(h: &NiftiHeader) -> Result<Vec<usize>, String> {
    let dim = h.dim().map_err(|e| e.to_string())?;
    let dims: Vec<usize> = dim.iter().map(|&d| usize::from(d)).collect();
    let spatial = dims.len().min(3);
    let classes: usize = dims[spatial..].iter().product();
    let mut out = vec![1, classes];
    out.extend_from_slice(&dims[..spatial]);
    Ok(out)
}

fn nifti_values(path: &Path) -> Result<Vec<f64>, String> {
    let obj = ReaderOptions::new()
        .read_file(path)
        .map_err(|e| format!("not a valid NIfTI image: {e}"))?;
    let a = obj
        .into_volume()
        .into_ndarray::<f64>()
        .map_err(|e| format!("cannot convert the NIfTI data: {e}"))?;
    // Axes (x, y, z, extra…) → (extra…, x, y, z): the extra axes are the classes.
    let n = a.ndim();
    let spatial = n.min(3);
    let order: Vec<usize> = (spatial..n).chain(0..spatial).collect();
    Ok(row_major(a.permuted_axes(order), |v| v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nd::ShapeBuilder;
    use ndarray_npy::{write_npy, NpzWriter};

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("dice-files-{}-{name}", std::process::id()))
    }

    #[test]
    fn npy_of_any_dtype_and_order_reads_row_major() {
        let a = nd::Array::from_shape_vec((1, 2, 3), vec![0u8, 1, 0, 1, 1, 0]).unwrap();
        let p = temp("u8.npy");
        write_npy(&p, &a).unwrap();
        let s = shape_of(&p, "y").unwrap();
        assert_eq!(s.dims(), [1, 2, 3]);
        assert_eq!(read(&p, "y", &s).unwrap(), [0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
        // A Fortran-ordered f32 array (numpy writes fortran_order: True for it).
        let f = nd::Array::from_shape_vec((1, 2, 3).f(), vec![0.5f32, 0.25, 1.0, 0.0, 0.75, 0.125])
            .unwrap();
        let p2 = temp("f32.npy");
        write_npy(&p2, &f).unwrap();
        let want: Vec<f64> = f.iter().map(|&v| f64::from(v)).collect();
        assert_eq!(read(&p2, "y", &s).unwrap(), want);
        // The shape is checked before the data is read.
        let other = Shape::new(&[1, 3, 2]).unwrap();
        assert!(read(&p, "y", &other)
            .unwrap_err()
            .contains("does not match"));
        for p in [p, p2] {
            std::fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn npz_members_by_name_or_the_only_one() {
        let y = nd::Array::from_shape_vec((1, 1, 2), vec![1i64, 0]).unwrap();
        let pred = nd::Array::from_shape_vec((1, 1, 2), vec![0.75f64, 0.5]).unwrap();
        let p = temp("batch.npz");
        let mut w = NpzWriter::new_compressed(File::create(&p).unwrap());
        w.add_array("pred", &pred).unwrap();
        w.add_array("y", &y).unwrap();
        w.finish().unwrap();
        let s = shape_of(&p, "y").unwrap();
        assert_eq!(read(&p, "y", &s).unwrap(), [1.0, 0.0]);
        assert_eq!(read(&p, "pred", &s).unwrap(), [0.75, 0.5]);
        let e = shape_of(&p, "labels").unwrap_err();
        assert!(
            e.contains("no array named \"labels\"") && e.contains("pred, y"),
            "{e}"
        );
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn nifti_volumes_put_extra_dimensions_into_classes() {
        // A 4-D image (x, y, z, c) = (2, 1, 3, 2): value 100·c + 10·x + z.
        let a =
            nd::Array::from_shape_fn((2, 1, 3, 2), |(x, _, z, c)| (100 * c + 10 * x + z) as f32);
        let p = temp("probs.nii.gz");
        nifti::writer::WriterOptions::new(&p)
            .write_nifti(&a)
            .unwrap();
        let s = shape_of(&p, "pred").unwrap();
        assert_eq!(s.dims(), [1, 2, 2, 1, 3]);
        let v = read(&p, "pred", &s).unwrap();
        assert_eq!(&v[..6], [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
        assert_eq!(&v[6..], [100.0, 101.0, 102.0, 110.0, 111.0, 112.0]);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn bad_files_are_messages() {
        let p = temp("junk.npy");
        std::fs::write(&p, b"not an array").unwrap();
        assert!(shape_of(&p, "y").unwrap_err().contains("not a valid .npy"));
        std::fs::remove_file(&p).unwrap();
        assert!(shape_of(Path::new("labels.csv"), "y")
            .unwrap_err()
            .contains("unknown file type"));
        assert!(shape_of(&temp("missing.nii"), "y")
            .unwrap_err()
            .contains("`y` from"));
    }
}
