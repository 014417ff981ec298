//! Arrays from files on disk: the CLI's side of `engine::arrays` (which parses `.npy`,
//! `.npz` and NIfTI-1 from any byte source — the page's worker gives it a dropped file's
//! bytes). Here a path is checked to be a regular file (a named pipe would block, a device
//! never end) and opened; the readers then see the file through a buffer. Also the
//! writers of `dice eval --grad` and `dice experiment --dump`.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

use super::excerpt;
use crate::engine::arrays::{self, kind, npy_header_bytes, Kind};
use crate::engine::shape::Shape;

pub use crate::engine::arrays::Header;

/// The path as echoed in messages.
pub fn shown(path: &Path) -> String {
    excerpt(&path.to_string_lossy())
}

/// The file's name, which says its type.
fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `path` names a file type the readers know (checked before the file is opened,
/// so an unknown type is the message rather than a missing file).
fn known(path: &Path, name: &str) -> Result<(), String> {
    match kind(&name_of(path)) {
        Some(_) => Ok(()),
        None => Err(format!(
            "`{name}` from {}: unknown file type; use .npy, .npz, .nii or .nii.gz",
            shown(path)
        )),
    }
}

/// The header of array `name` (`"y"`, `"pred"`, `"mask"`) in `path`, without its data.
pub fn header(path: &Path, name: &str) -> Result<Header, String> {
    known(path, name)?;
    let (f, len) = open(path)?;
    arrays::header(BufReader::new(f), len, &name_of(path), &shown(path), name)
}

/// The shape of array `name` (`"y"` or `"pred"`) in `path`, from the header only.
pub fn shape_of(path: &Path, name: &str) -> Result<Shape, String> {
    let dims = header(path, name)?.dims;
    Shape::new(&dims).map_err(|e| format!("`{name}` from {}: {e}", shown(path)))
}

/// The values of array `name` in `path`, which must have `shape` (checked on the header
/// before the data is read).
pub fn read(path: &Path, name: &str, shape: &Shape) -> Result<Vec<f64>, String> {
    read_dims(path, name, shape.dims())
}

/// The values of array `name` in `path`, whose header must say `dims` (checked before the
/// data is read), flat in row-major order.
pub fn read_dims(path: &Path, name: &str, dims: &[usize]) -> Result<Vec<f64>, String> {
    known(path, name)?;
    let (f, len) = open(path)?;
    let data = arrays::read_dims(
        BufReader::new(f),
        len,
        &name_of(path),
        &shown(path),
        name,
        dims,
    )?;
    debug_assert_eq!(data.len(), dims.iter().product::<usize>());
    Ok(data)
}

/// Opens a regular file and returns it with its size. A named pipe or a device is
/// refused before it is opened (opening a pipe blocks until someone writes to it).
fn open(path: &Path) -> Result<(File, u64), String> {
    let cannot = |e: io::Error| format!("cannot read {}: {e}", shown(path));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "{} is {}, not a regular file; save the array to a file first",
            shown(path),
            file_type_words(&meta.file_type())
        ));
    }
    let f = File::open(path).map_err(cannot)?;
    let len = f.metadata().map_err(cannot)?.len();
    Ok((f, len))
}

fn file_type_words(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

// ---------------------------------------------------------------------------------------
// Writing .npz (`dice experiment --dump`)

/// An `.npz` archive being written: each array a deflated `.npy` member (format 1.0,
/// little-endian, row-major), as `numpy.savez_compressed` writes them. Deterministic: the
/// members carry the zip format's fixed default time, so the same arrays give the same bytes.
pub struct NpzOut<W: io::Write + io::Seek> {
    zip: zip::ZipWriter<W>,
}

impl<W: io::Write + io::Seek> NpzOut<W> {
    pub fn new(out: W) -> Self {
        NpzOut {
            zip: zip::ZipWriter::new(out),
        }
    }

    /// Adds `name.npy`: float64 values of `shape`.
    pub fn f64(&mut self, name: &str, shape: &[usize], data: &[f64]) -> io::Result<()> {
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.member(name, "<f8", shape, &bytes)
    }

    /// Adds `name.npy`: uint8 values of `shape`.
    pub fn u8(&mut self, name: &str, shape: &[usize], data: &[u8]) -> io::Result<()> {
        self.member(name, "|u1", shape, data)
    }

    fn member(&mut self, name: &str, descr: &str, shape: &[usize], data: &[u8]) -> io::Result<()> {
        use io::Write;
        debug_assert_eq!(
            shape.iter().product::<usize>() * if descr == "<f8" { 8 } else { 1 },
            data.len()
        );
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        self.zip
            .start_file(format!("{name}.npy"), options)
            .map_err(io::Error::other)?;
        self.zip
            .write_all(&npy_header_bytes(&format!("'{descr}'"), false, shape))?;
        self.zip.write_all(data)
    }

    pub fn finish(self) -> io::Result<W> {
        self.zip.finish().map_err(io::Error::other)
    }
}

/// Float64 values as little-endian bytes, written in blocks (a large gradient is never
/// copied whole).
fn write_f64s(w: &mut impl io::Write, data: &[f64]) -> io::Result<()> {
    for block in data.chunks(1 << 13) {
        let bytes: Vec<u8> = block.iter().flat_map(|v| v.to_le_bytes()).collect();
        w.write_all(&bytes)?;
    }
    Ok(())
}

/// Writes float64 arrays of `dims` to `path`: a `.npy` holds the first one, a `.npz` all of
/// them by name (stored uncompressed, as `np.savez` does). Other file types are refused.
pub fn write_arrays(path: &Path, dims: &[usize], arrays: &[(&str, &[f64])]) -> Result<(), String> {
    use io::Write;
    let cannot = |e: io::Error| format!("cannot write {}: {e}", shown(path));
    let file = || File::create(path).map_err(cannot);
    match kind(&name_of(path)) {
        Some(Kind::Npy) => {
            let mut w = io::BufWriter::new(file()?);
            w.write_all(&npy_header_bytes("'<f8'", false, dims))
                .map_err(cannot)?;
            write_f64s(&mut w, arrays[0].1).map_err(cannot)?;
            w.flush().map_err(cannot)
        }
        Some(Kind::Npz) => {
            let mut zip = zip::ZipWriter::new(io::BufWriter::new(file()?));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .large_file(
                    arrays.iter().map(|a| a.1.len() * 8).sum::<usize>() > u32::MAX as usize / 2,
                );
            for (name, data) in arrays {
                zip.start_file(format!("{name}.npy"), options)
                    .map_err(|e| cannot(io::Error::other(e)))?;
                zip.write_all(&npy_header_bytes("'<f8'", false, dims))
                    .map_err(cannot)?;
                write_f64s(&mut zip, data).map_err(cannot)?;
            }
            zip.finish()
                .map_err(|e| cannot(io::Error::other(e)))?
                .flush()
                .map_err(cannot)
        }
        _ => Err(format!(
            "cannot write the gradient to {}: give a .npy file (the gradient) or a .npz file \
             (grad and grad_prob)",
            shown(path)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("dice-files-{}-{name}", std::process::id()))
    }

    /// A `.npy` file as numpy writes it.
    fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
        [
            npy_header_bytes(&format!("'{descr}'"), fortran, shape),
            data.to_vec(),
        ]
        .concat()
    }

    #[test]
    fn npy_of_any_dtype_and_order_reads_row_major() {
        let p = temp("u8.npy");
        std::fs::write(&p, npy_bytes("|u1", false, &[1, 2, 3], &[0, 1, 0, 1, 1, 0])).unwrap();
        let s = shape_of(&p, "y").unwrap();
        assert_eq!(s.dims(), [1, 2, 3]);
        assert_eq!(read(&p, "y", &s).unwrap(), [0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
        // A Fortran-ordered big-endian f4 array: the file holds column-major values.
        let column_major = [0.5f32, 0.0, 0.25, 0.75, 1.0, 0.125];
        let bytes: Vec<u8> = column_major.iter().flat_map(|v| v.to_be_bytes()).collect();
        let p2 = temp("f32.npy");
        std::fs::write(&p2, npy_bytes(">f4", true, &[1, 2, 3], &bytes)).unwrap();
        assert_eq!(
            read(&p2, "y", &s).unwrap(),
            [0.5, 0.25, 1.0, 0.0, 0.75, 0.125]
        );
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
    fn bad_files_are_messages() {
        let p = temp("junk.npy");
        std::fs::write(&p, b"not an array").unwrap();
        assert!(shape_of(&p, "y").unwrap_err().contains("not a .npy array"));
        std::fs::remove_file(&p).unwrap();
        assert!(shape_of(Path::new("labels.csv"), "y")
            .unwrap_err()
            .contains("unknown file type"));
        assert!(shape_of(&temp("missing.nii"), "y")
            .unwrap_err()
            .contains("cannot read"));
        let dir = std::env::temp_dir();
        let e = shape_of(&dir.join("."), "y").unwrap_err();
        assert!(e.contains("unknown file type"), "{e}");
    }
}
