//! Arrays from files: numpy `.npy` / `.npz` and NIfTI-1 `.nii` / `.nii.gz`, read from any
//! seekable byte source and the file's name (which says its type). The one home of these
//! readers: the CLI passes an opened file (`cli::files`), the page's on-demand worker the
//! bytes of a file opened or dropped in the browser (`src/bin/paste_worker.rs`). No I/O of
//! its own: reading bytes into numbers, no paths and no browser types.
//!
//! Every reader looks at the header first, so a file whose shape does not fit is refused
//! before its data is read, and compares what the header promises with what the file
//! (or the archive member) really holds before it allocates anything for the data: a
//! 200-byte file that claims a terabyte is refused in words, not by the allocator. Values come out
//! as `f64` flat in row-major order of the `[B, C, *spatial]` shape:
//! - `.npy`, or one array of an `.npz` (the one named `y` / `pred`, or the only one):
//!   the array's own shape, which must be `[B, C, *spatial]`; bool, integer, float32 or
//!   float64 dtypes in either byte order, C or Fortran order. The data must be exactly
//!   what the header describes (a longer or shorter file or member is refused).
//! - NIfTI-1 (single file, `n+1`): one image, B = 1. Its first three dimensions (x, y, z)
//!   are the spatial ones (fewer for a 1-D or 2-D image); any further dimensions (t, and
//!   the vector components of a 5-D image) are flattened into the classes. So a label
//!   mask of dims (X, Y, Z) is `[1, 1, X, Y, Z]` and a 4-D probability map (X, Y, Z, C)
//!   is `[1, C, X, Y, Z]`, in the order numpy gives for `np.moveaxis(data, 3, 0)`. The
//!   data is read from the byte `vox_offset` names (352 or more, a whole number), as
//!   nibabel does; `scl_slope` / `scl_inter` are applied as nibabel's `get_fdata()`
//!   does. Integer and float datatypes are read; RGB, complex, 128-bit and 1-bit data
//!   are refused. Bytes after the image data are ignored (nibabel ignores them too).
//!
//! The headers are parsed here, by hand: the `nifti` crate read the data from right after
//! the header whatever `vox_offset` said, panicked on RGB data and read a negative
//! dimension as 65534; `ndarray-npy`'s readers allocate what the header claims before
//! reading, and the Python-literal parser it reads the `.npy` dictionary with takes
//! exponential time on nested brackets (a 200-byte header of `[[[…]]]` froze the command).

use std::io::{self, Read, Seek};

/// At most this many characters of user input are echoed in a message.
const EXCERPT_CHARS: usize = 40;

/// User input as it is echoed in messages: quoted and escaped (so control characters
/// cannot break the line), and cut to a short excerpt that says how long it was.
pub fn excerpt(s: &str) -> String {
    let n = s.chars().count();
    if n <= EXCERPT_CHARS {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(EXCERPT_CHARS - 8).collect();
        format!("{head:?}… ({n} characters)")
    }
}

/// A file type the readers know, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Npy,
    Npz,
    Nifti { gz: bool },
}

/// The type of the file named `file` (a path or a bare name), from how its name ends.
pub fn kind(file: &str) -> Option<Kind> {
    let name = file
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file)
        .to_ascii_lowercase();
    if name.ends_with(".npy") {
        Some(Kind::Npy)
    } else if name.ends_with(".npz") {
        Some(Kind::Npz)
    } else if name.ends_with(".nii") {
        Some(Kind::Nifti { gz: false })
    } else if name.ends_with(".nii.gz") {
        Some(Kind::Nifti { gz: true })
    } else {
        None
    }
}

/// What a file's header says of array `name`: its dimensions as stored (a NIfTI image as
/// `[1, C, *spatial]`) and whether its element type is an integer or bool one (a label
/// map rather than probabilities).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub dims: Vec<usize>,
    pub integer: bool,
}

/// The header of array `name` (`"y"`, `"pred"`, `"mask"`) in `src`, which holds `len`
/// bytes and is the file named `file`, without its data. `shown` is the file as messages
/// name it.
pub fn header<R: Read + Seek>(
    mut src: R,
    len: u64,
    file: &str,
    shown: &str,
    name: &str,
) -> Result<Header, String> {
    let at = |e: String| format!("`{name}` from {shown}: {e}");
    let whole = |d: Dtype| !matches!(d.elem, Elem::F16 | Elem::F32 | Elem::F64);
    let (dims, integer) = match kind(file) {
        Some(Kind::Npy) => npy_header(&mut src, len).map(|h| (h.shape, whole(h.dtype))),
        Some(Kind::Npz) => {
            let mut zip = Npz::open(src, shown)?;
            let member = zip.member(name).map_err(at)?;
            zip.header(&member).map(|(h, _)| (h.shape, whole(h.dtype)))
        }
        Some(Kind::Nifti { gz }) => {
            nifti_header(&mut nifti_stream(src, gz)).map(|h| {
                // Scaled by a whole slope and intercept, whole numbers stay whole.
                let scaled_whole = h
                    .scaling
                    .is_none_or(|(a, b)| a.fract() == 0.0 && b.fract() == 0.0);
                (h.array_dims(), whole(h.dtype) && scaled_whole)
            })
        }
        None => Err("unknown file type; use .npy, .npz, .nii or .nii.gz".to_string()),
    }
    .map_err(at)?;
    Ok(Header { dims, integer })
}

/// The values of array `name` in `src` (as for [`header`]), whose header must say `dims`
/// (checked before the data is read), flat in row-major order.
pub fn read_dims<R: Read + Seek>(
    src: R,
    len: u64,
    file: &str,
    shown: &str,
    name: &str,
    dims: &[usize],
) -> Result<Vec<f64>, String> {
    let at = |e: String| format!("`{name}` from {shown}: {e}");
    let check = |found: Vec<usize>| -> Result<(), String> {
        if found != dims {
            return Err(format!(
                "shape {found:?} does not match the shape {dims:?} of the input"
            ));
        }
        Ok(())
    };
    let data = match kind(file) {
        Some(Kind::Npy) => {
            let mut r = src;
            let h = npy_header(&mut r, len).map_err(at)?;
            check(h.shape.clone()).map_err(at)?;
            h.exact_size(len - h.data_start, "the file").map_err(at)?;
            npy_values(&h, &mut r.take(h.data_bytes()), h.values())
        }
        Some(Kind::Npz) => {
            let mut zip = Npz::open(src, shown)?;
            let member = zip.member(name).map_err(at)?;
            let (h, mut entry) = zip.header(&member).map_err(at)?;
            check(h.shape.clone()).map_err(at)?;
            // The member's declared size was compared with the header; the inflated
            // stream is read up to what the header promises, then checked to end there
            // (a member can inflate to more than it declares).
            let values = {
                let mut data = (&mut entry).take(h.data_bytes());
                npy_values(&h, &mut data, h.values().min(RESERVE_LIMIT))
            }
            .map_err(at)?;
            ends_here(&mut entry, "the archive member").map_err(at)?;
            Ok(values)
        }
        Some(Kind::Nifti { gz }) => {
            let mut r = nifti_stream(src, gz);
            let h = nifti_header(&mut r).map_err(at)?;
            check(h.array_dims()).map_err(at)?;
            // A plain file's size is known: refuse a short one before reading it.
            if !gz {
                h.fits_in(len).map_err(at)?;
            }
            nifti_values(&h, &mut r)
        }
        None => Err("unknown file type; use .npy, .npz, .nii or .nii.gz".to_string()),
    }
    .map_err(at)?;
    debug_assert_eq!(data.len(), dims.iter().product::<usize>());
    Ok(data)
}

/// Reading a stream that should end here: one more byte means the data is longer than
/// its header says.
fn ends_here(r: &mut impl Read, what: &str) -> Result<(), String> {
    let mut probe = [0u8; 1];
    match r.read(&mut probe) {
        Ok(0) => Ok(()),
        Ok(_) => Err(format!(
            "{what} holds more data than its header describes; it is not the array it claims to be"
        )),
        Err(e) => Err(format!("cannot read {what}: {e}")),
    }
}

/// At most this many values are reserved before they are read, where the size of the data
/// is only known once it has been read (an archive member, a gzip stream): the vector then
/// grows with the data that really arrives.
const RESERVE_LIMIT: usize = 1 << 22;

// ---------------------------------------------------------------------------------------
// Element types

/// The element types read, in a byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    Bool,
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F16,
    F32,
    F64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dtype {
    elem: Elem,
    big_endian: bool,
}

impl Dtype {
    fn size(self) -> usize {
        match self.elem {
            Elem::Bool | Elem::U8 | Elem::I8 => 1,
            Elem::U16 | Elem::I16 | Elem::F16 => 2,
            Elem::U32 | Elem::I32 | Elem::F32 => 4,
            Elem::U64 | Elem::I64 | Elem::F64 => 8,
        }
    }

    /// Appends the values of `bytes` (a whole number of elements) to `out` (bool → 0/1,
    /// as numpy reads any non-zero byte as True; integers exactly up to 2^53).
    fn convert(self, bytes: &[u8], out: &mut Vec<f64>) {
        macro_rules! each {
            ($t:ty, $n:expr, $to:expr) => {
                out.extend(bytes.chunks_exact($n).map(|c| {
                    let a: [u8; $n] = c.try_into().expect("chunks of the element size");
                    let v = if self.big_endian {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    };
                    $to(v)
                }))
            };
        }
        match self.elem {
            Elem::Bool => out.extend(bytes.iter().map(|&b| f64::from(u8::from(b != 0)))),
            Elem::U8 => out.extend(bytes.iter().map(|&b| f64::from(b))),
            Elem::I8 => out.extend(bytes.iter().map(|&b| f64::from(b as i8))),
            Elem::U16 => each!(u16, 2, f64::from),
            Elem::I16 => each!(i16, 2, f64::from),
            Elem::U32 => each!(u32, 4, f64::from),
            Elem::I32 => each!(i32, 4, f64::from),
            Elem::U64 => each!(u64, 8, |v: u64| v as f64),
            Elem::I64 => each!(i64, 8, |v: i64| v as f64),
            Elem::F16 => each!(u16, 2, f16_to_f64),
            Elem::F32 => each!(f32, 4, f64::from),
            Elem::F64 => each!(f64, 8, |v: f64| v),
        }
    }
}

/// An IEEE 754 half-precision number (numpy's float16, `'<f2'`) as an `f64`, exactly:
/// every half is a double.
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Reads `count` elements of `dtype` from `r` (which holds exactly their bytes) and
/// converts them, reserving at most `reserve` values up front. A stream that ends early
/// is a message.
fn read_elements(
    r: &mut impl Read,
    dtype: Dtype,
    count: usize,
    reserve: usize,
) -> Result<Vec<f64>, String> {
    let size = dtype.size();
    let mut out = Vec::with_capacity(reserve.min(count));
    let mut buf = vec![0u8; (1 << 16) / size * size];
    let mut left = count * size;
    while left > 0 {
        let want = left.min(buf.len());
        let chunk = &mut buf[..want];
        let mut got = 0;
        while got < want {
            match r.read(&mut chunk[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the data: {e}")),
            }
        }
        if got < want || got % size != 0 {
            let have = count * size - left + got;
            return Err(format!(
                "the data is cut short: the header promises {} bytes, there are {have}",
                count * size
            ));
        }
        dtype.convert(chunk, &mut out);
        left -= want;
    }
    Ok(out)
}

/// Puts `data`, stored with axis 0 varying fastest over `sizes`, where axis k's values
/// go `strides[k]` apart in the output.
fn scatter(data: &[f64], sizes: &[usize], strides: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; data.len()];
    let mut idx = vec![0usize; sizes.len()];
    let mut off = 0usize;
    for &v in data {
        out[off] = v;
        for a in 0..sizes.len() {
            idx[a] += 1;
            off += strides[a];
            if idx[a] < sizes[a] {
                break;
            }
            off -= strides[a] * sizes[a];
            idx[a] = 0;
        }
    }
    out
}

/// Row-major strides of `sizes`.
fn row_major_strides(sizes: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; sizes.len()];
    for k in (0..sizes.len().saturating_sub(1)).rev() {
        strides[k] = strides[k + 1] * sizes[k + 1];
    }
    strides
}

// ---------------------------------------------------------------------------------------
// .npy and .npz

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// A `.npy` format 1.0 header as numpy writes it: magic, version, the dictionary padded
/// with spaces so the data starts at a multiple of 64 bytes. `descr` is the dtype as a
/// Python literal (`'<f8'`, or a list for a structured dtype). The CLI writes its arrays
/// with it, and the tests write their files with it.
pub fn npy_header_bytes(descr: &str, fortran: bool, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let order = if fortran { "True" } else { "False" };
    let mut dict = format!("{{'descr': {descr}, 'fortran_order': {order}, 'shape': {dims}, }}");
    let unpadded = NPY_MAGIC.len() + 4 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = NPY_MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}
/// Longest `.npy` header dictionary read (numpy itself refuses more than 10,000 bytes by
/// default).
const MAX_NPY_HEADER: usize = 1 << 16;

/// A `.npy` header with its element type and where the data starts.
#[derive(Debug)]
struct NpyHeader {
    shape: Vec<usize>,
    dtype: Dtype,
    fortran: bool,
    /// Bytes before the data (magic, version, length and dictionary).
    data_start: u64,
}

impl NpyHeader {
    fn values(&self) -> usize {
        self.shape.iter().product()
    }

    fn data_bytes(&self) -> u64 {
        (self.values() as u64).saturating_mul(self.dtype.size() as u64)
    }

    /// `have` bytes of data follow the header in `what`: they must be exactly the bytes
    /// the header promises.
    fn exact_size(&self, have: u64, what: &str) -> Result<(), String> {
        let want = self.data_bytes();
        match have.cmp(&want) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Less => Err(format!(
                "{what} is cut short: its header promises {want} bytes of data (shape {:?}, {}), \
                 there are {have}",
                self.shape,
                self.dtype_words()
            )),
            std::cmp::Ordering::Greater => Err(format!(
                "{what} has {} bytes more than its header promises (shape {:?}, {}: {want} bytes); \
                 it is not the array it claims to be",
                have - want,
                self.shape,
                self.dtype_words()
            )),
        }
    }

    fn dtype_words(&self) -> String {
        let bits = 8 * self.dtype.size();
        match self.dtype.elem {
            Elem::Bool => "bool".into(),
            Elem::F16 | Elem::F32 | Elem::F64 => format!("float{bits}"),
            Elem::U8 | Elem::U16 | Elem::U32 | Elem::U64 => format!("uint{bits}"),
            Elem::I8 | Elem::I16 | Elem::I32 | Elem::I64 => format!("int{bits}"),
        }
    }
}

/// Reads a `.npy` header from `r`, which holds `available` bytes in all. The header's
/// own length is checked against both before it is read, the shape's size in bytes must
/// fit in 64 bits, and the element type must be one this reader converts.
fn npy_header(r: &mut impl Read, available: u64) -> Result<NpyHeader, String> {
    let not_npy = || "not a .npy array (it does not start with numpy's \\x93NUMPY)".to_string();
    let mut pre = [0u8; 12];
    let short = |_| not_npy();
    r.read_exact(&mut pre[..8]).map_err(short)?;
    if &pre[..6] != NPY_MAGIC {
        return Err(not_npy());
    }
    let (len_bytes, header_len) = match pre[6] {
        1 => {
            r.read_exact(&mut pre[8..10]).map_err(short)?;
            (2, usize::from(u16::from_le_bytes([pre[8], pre[9]])))
        }
        2 | 3 => {
            r.read_exact(&mut pre[8..12]).map_err(short)?;
            let n = u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]);
            (4, usize::try_from(n).unwrap_or(usize::MAX))
        }
        v => {
            return Err(format!(
                "not a .npy array numpy writes (format version {v}.{})",
                pre[7]
            ))
        }
    };
    let prefix = 8 + len_bytes;
    if header_len as u64 > available.saturating_sub(prefix as u64) || header_len > MAX_NPY_HEADER {
        return Err(format!(
            "not a valid .npy array: its header claims {header_len} bytes, {}",
            if header_len > MAX_NPY_HEADER {
                format!("more than the {MAX_NPY_HEADER} a header may have")
            } else {
                format!(
                    "but only {} follow",
                    available.saturating_sub(prefix as u64)
                )
            }
        ));
    }
    let mut bytes = Vec::with_capacity(prefix + header_len);
    bytes.extend_from_slice(&pre[..prefix]);
    bytes.resize(prefix + header_len, 0);
    r.read_exact(&mut bytes[prefix..]).map_err(short)?;
    let text = match bytes[prefix..].split_last() {
        Some((b'\n', dict)) => std::str::from_utf8(dict).ok(),
        _ => None,
    }
    .ok_or("not a valid .npy header: it is not one line of text")?;
    let header = npy_dict(text).map_err(|e| format!("not a valid .npy header: {e}"))?;
    let dtype = npy_dtype(&header.descr)?;
    let values = header
        .shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d as u64))
        .and_then(|n| n.checked_mul(dtype.size() as u64));
    if values.is_none() {
        return Err(format!(
            "the header's shape {} is too large for any file",
            excerpt(&format!("{:?}", header.shape))
        ));
    }
    Ok(NpyHeader {
        shape: header.shape,
        dtype,
        fortran: header.fortran,
        data_start: (prefix + header_len) as u64,
    })
}

/// numpy's header dictionary, `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }`.
struct NpyDict {
    /// The descriptor string, or `None` for a structured dtype (a list of fields).
    descr: Option<String>,
    fortran: bool,
    shape: Vec<usize>,
}

/// Parses the header dictionary in one pass: string keys, and as values a string, `True`
/// or `False`, a tuple of whole numbers, or (for `descr`) a list, which is a structured
/// dtype and is not read further.
fn npy_dict(text: &str) -> Result<NpyDict, String> {
    struct Cur<'a>(&'a [u8], usize);
    impl Cur<'_> {
        fn ws(&mut self) {
            while self.1 < self.0.len() && self.0[self.1].is_ascii_whitespace() {
                self.1 += 1;
            }
        }
        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.0.get(self.1).copied()
        }
        fn eat(&mut self, c: u8) -> bool {
            let hit = self.peek() == Some(c);
            self.1 += usize::from(hit);
            hit
        }
        fn expect(&mut self, c: u8) -> Result<(), String> {
            if self.eat(c) {
                Ok(())
            } else {
                Err(format!("expected `{}` at byte {}", c as char, self.1))
            }
        }
        fn string(&mut self) -> Result<String, String> {
            let q = self.peek().filter(|c| matches!(c, b'\'' | b'"'));
            let q = q.ok_or_else(|| format!("expected a quoted string at byte {}", self.1))?;
            let start = self.1 + 1;
            let mut i = start;
            while i < self.0.len() && self.0[i] != q {
                i += if self.0[i] == b'\\' { 2 } else { 1 };
            }
            if i >= self.0.len() {
                return Err("a string is not closed".into());
            }
            self.1 = i + 1;
            Ok(String::from_utf8_lossy(&self.0[start..i]).into_owned())
        }
        fn word(&mut self) -> &[u8] {
            self.ws();
            let start = self.1;
            while self.1 < self.0.len() && self.0[self.1].is_ascii_alphanumeric() {
                self.1 += 1;
            }
            &self.0[start..self.1]
        }
    }
    let mut c = Cur(text.as_bytes(), 0);
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    c.expect(b'{')?;
    while !c.eat(b'}') {
        let key = c.string()?;
        c.expect(b':')?;
        match key.as_str() {
            "descr" if c.peek() == Some(b'[') => {
                // A structured dtype: refused, so its fields need not be read.
                descr = Some(None);
                break;
            }
            "descr" => descr = Some(Some(c.string()?)),
            "fortran_order" => {
                fortran = Some(match c.word() {
                    b"True" => true,
                    b"False" => false,
                    _ => return Err("fortran_order must be True or False".into()),
                })
            }
            "shape" => {
                c.expect(b'(')?;
                let mut dims = Vec::new();
                while !c.eat(b')') {
                    let w = c.word();
                    let digits = w.strip_suffix(b"L").unwrap_or(w);
                    let d = std::str::from_utf8(digits)
                        .ok()
                        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or("the shape must be a tuple of whole numbers ≥ 0")?;
                    dims.push(d.parse::<usize>().map_err(|_| {
                        format!("the shape's dimension {} is too large", excerpt(d))
                    })?);
                    if !c.eat(b',') {
                        c.expect(b')')?;
                        break;
                    }
                }
                shape = Some(dims);
            }
            other => return Err(format!("unknown key {}", excerpt(other))),
        }
        if !c.eat(b',') {
            c.expect(b'}')?;
            break;
        }
    }
    let descr = descr.ok_or("no 'descr'")?;
    if descr.is_none() {
        return Ok(NpyDict {
            descr,
            fortran: false,
            shape: Vec::new(),
        });
    }
    c.ws();
    if c.1 != c.0.len() {
        return Err(format!(
            "unexpected text after the dictionary at byte {}",
            c.1
        ));
    }
    Ok(NpyDict {
        descr,
        fortran: fortran.ok_or("no 'fortran_order'")?,
        shape: shape.ok_or("no 'shape'")?,
    })
}

/// The element type of a numpy descriptor such as `'<f4'` or `'|b1'` (`None`: a
/// structured dtype).
fn npy_dtype(descr: &Option<String>) -> Result<Dtype, String> {
    let unsupported = |d: &str, why: &str| {
        Err(format!(
            "unsupported dtype {}{why}; use a bool, integer or float (16, 32 or 64-bit) array",
            excerpt(d)
        ))
    };
    let Some(d) = descr.as_deref() else {
        return Err(
            "unsupported dtype (a structured dtype, a list of fields); use a bool, \
                    integer or float (16, 32 or 64-bit) array"
                .into(),
        );
    };
    let (order, code) = match d.as_bytes().first() {
        Some(b'<' | b'>' | b'|' | b'=') => d.split_at(1),
        _ => ("", d),
    };
    let elem = match code {
        "b1" | "?" => Elem::Bool,
        "u1" | "B" => Elem::U8,
        "i1" | "b" => Elem::I8,
        "u2" => Elem::U16,
        "i2" => Elem::I16,
        "u4" => Elem::U32,
        "i4" => Elem::I32,
        "u8" => Elem::U64,
        "i8" => Elem::I64,
        "f2" | "e" => Elem::F16,
        "f4" | "f" => Elem::F32,
        "f8" | "d" => Elem::F64,
        _ => return unsupported(d, ""),
    };
    let dtype = Dtype {
        elem,
        big_endian: order == ">" || (order == "=" && cfg!(target_endian = "big")),
    };
    if order == "|" && dtype.size() > 1 {
        return unsupported(d, " (a byte order is needed for a multi-byte type)");
    }
    Ok(dtype)
}

/// The values of a `.npy` array whose data `r` holds exactly, row-major.
fn npy_values(h: &NpyHeader, r: &mut impl Read, reserve: usize) -> Result<Vec<f64>, String> {
    let data = read_elements(r, h.dtype, h.values(), reserve)?;
    if !h.fortran || h.shape.len() < 2 {
        return Ok(data);
    }
    // Fortran order: the first axis varies fastest in the file.
    Ok(scatter(&data, &h.shape, &row_major_strides(&h.shape)))
}

/// An `.npz` archive (a zip of `.npy` files).
struct Npz<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
}

impl<R: Read + Seek> Npz<R> {
    fn open(src: R, shown: &str) -> Result<Npz<R>, String> {
        let zip = zip::ZipArchive::new(src)
            .map_err(|e| format!("{shown} is not a valid .npz archive: {e}"))?;
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

    /// The member's `.npy` header, checked against the size the archive gives the member
    /// (nothing beyond the header is inflated), and the member's stream after it.
    fn header(&mut self, member: &str) -> Result<(NpyHeader, impl Read + '_), String> {
        let mut entry = self
            .zip
            .by_name(member)
            .map_err(|e| format!("cannot read {}: {e}", excerpt(member)))?;
        let declared = entry.size();
        let h = npy_header(&mut entry, declared)
            .map_err(|e| format!("member {}: {e}", excerpt(member)))?;
        h.exact_size(
            declared.saturating_sub(h.data_start),
            &format!("member {}", excerpt(member)),
        )?;
        Ok((h, entry))
    }
}

// ---------------------------------------------------------------------------------------
// NIfTI-1

/// The NIfTI-1 header's size, and where the image data of a single file may start at the
/// earliest (the header and the 4-byte extension flag).
const NIFTI_HEADER: usize = 348;
const NIFTI_MIN_OFFSET: u64 = 352;

/// What the reader needs from a NIfTI-1 header.
#[derive(Debug)]
struct NiftiHeader {
    /// dim[1..=dim[0]].
    dims: Vec<usize>,
    dtype: Dtype,
    vox_offset: u64,
    /// `scl_slope`, `scl_inter` when they scale the data (nibabel's rule).
    scaling: Option<(f64, f64)>,
}

impl NiftiHeader {
    /// `[1, C, *spatial]` (see the module comment).
    fn array_dims(&self) -> Vec<usize> {
        let spatial = self.dims.len().min(3);
        let classes: usize = self.dims[spatial..].iter().product();
        let mut out = vec![1, classes];
        out.extend_from_slice(&self.dims[..spatial]);
        out
    }

    fn values(&self) -> usize {
        self.dims.iter().product()
    }

    fn data_bytes(&self) -> u64 {
        self.values() as u64 * self.dtype.size() as u64
    }

    /// A plain `.nii` of `len` bytes must hold the whole image from `vox_offset` on.
    fn fits_in(&self, len: u64) -> Result<(), String> {
        let end = self.vox_offset + self.data_bytes();
        if len < end {
            return Err(format!(
                "the file is cut short: its header promises {} bytes of image data (dims {:?}) \
                 from byte {}, but the file ends at byte {len}",
                self.data_bytes(),
                self.dims,
                self.vox_offset
            ));
        }
        Ok(())
    }
}

/// The decompressed stream of a NIfTI file.
fn nifti_stream<'a, R: Read + 'a>(r: R, gz: bool) -> Box<dyn Read + 'a> {
    if gz {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    }
}

/// Reads and checks the 348-byte NIfTI-1 header at the start of `r`.
fn nifti_header(r: &mut impl Read) -> Result<NiftiHeader, String> {
    let mut h = [0u8; NIFTI_HEADER];
    let mut got = 0;
    while got < NIFTI_HEADER {
        match r.read(&mut h[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("not a readable NIfTI file: {e}")),
        }
    }
    if got < NIFTI_HEADER {
        return Err(format!(
            "not a NIfTI-1 image: it has {got} bytes, fewer than the {NIFTI_HEADER}-byte header"
        ));
    }
    let le = |o: usize| i32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let be = |o: usize| i32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let big =
        match (le(0), be(0)) {
            (348, _) => false,
            (_, 348) => true,
            (540, _) | (_, 540) => return Err(
                "a NIfTI-2 image, which is not read; save it as NIfTI-1 (nibabel: nib.Nifti1Image)"
                    .into(),
            ),
            _ => return Err("not a NIfTI-1 image (its first four bytes are not 348)".into()),
        };
    match &h[344..348] {
        b"n+1\0" => {}
        b"ni1\0" => return Err(
            "a NIfTI header/image pair (.hdr + .img), which is not read; save it as one .nii file"
                .into(),
        ),
        _ => return Err("not a NIfTI-1 image (no \"n+1\" magic at byte 344)".into()),
    }
    let i16_at = |o: usize| {
        let a = [h[o], h[o + 1]];
        if big {
            i16::from_be_bytes(a)
        } else {
            i16::from_le_bytes(a)
        }
    };
    let f32_at = |o: usize| {
        let a = [h[o], h[o + 1], h[o + 2], h[o + 3]];
        f64::from(if big {
            f32::from_be_bytes(a)
        } else {
            f32::from_le_bytes(a)
        })
    };
    let ndim = i16_at(40);
    if !(1..=7).contains(&ndim) {
        return Err(format!(
            "the header's dim[0] (the number of dimensions) is {ndim}; it must be 1 to 7"
        ));
    }
    let mut dims = Vec::new();
    for k in 1..=ndim as usize {
        let d = i16_at(40 + 2 * k);
        if d < 1 {
            return Err(format!(
                "the header's dim[{k}] is {d}; every dimension must be at least 1"
            ));
        }
        dims.push(d as usize);
    }
    let dtype = nifti_dtype(i16_at(70), big)?;
    let offset = f32_at(108);
    if !(offset.is_finite() && offset.fract() == 0.0 && offset >= NIFTI_MIN_OFFSET as f64) {
        return Err(format!(
            "the header's vox_offset is {offset:?}; the image data of a .nii file starts at a \
             whole byte number of {NIFTI_MIN_OFFSET} or more"
        ));
    }
    let (slope, inter) = (f32_at(112), f32_at(116));
    let scaling = if slope == 0.0 || !slope.is_finite() {
        None
    } else if !inter.is_finite() {
        return Err(format!(
            "the header's scl_slope is {slope:?} but its scl_inter is {inter:?}; a scaled image \
             needs a finite intercept"
        ));
    } else {
        Some((slope, inter))
    };
    // The number of values and their bytes must be counted without wrapping (on a
    // 32-bit target, such as the page's worker, 2048×2048×1024 values already would).
    let bytes = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .and_then(|n| n.checked_mul(dtype.size()));
    if bytes.is_none() {
        return Err(format!(
            "the header's dims {dims:?} describe more data than this program can address"
        ));
    }
    Ok(NiftiHeader {
        dims,
        dtype,
        vox_offset: offset as u64,
        scaling,
    })
}

/// The element type of a NIfTI-1 datatype code.
fn nifti_dtype(code: i16, big_endian: bool) -> Result<Dtype, String> {
    let elem = match code {
        2 => Elem::U8,
        4 => Elem::I16,
        8 => Elem::I32,
        16 => Elem::F32,
        64 => Elem::F64,
        256 => Elem::I8,
        512 => Elem::U16,
        768 => Elem::U32,
        1024 => Elem::I64,
        1280 => Elem::U64,
        other => {
            let name = match other {
                0 => "unknown",
                1 => "binary, 1 bit per voxel",
                32 => "complex64",
                128 => "RGB24",
                1536 => "float128",
                1792 => "complex128",
                2048 => "complex256",
                2304 => "RGBA32",
                _ => "not a NIfTI-1 datatype",
            };
            return Err(format!(
                "the image's datatype {other} ({name}) is not read; labels and probabilities \
                 are one number per voxel: save them as an integer, float32 or float64 image"
            ));
        }
    };
    Ok(Dtype { elem, big_endian })
}

/// The image's values from `r`, positioned right after the header: the bytes up to
/// `vox_offset` are skipped, the data read, scaled and put in `[1, C, *spatial]` order.
fn nifti_values(h: &NiftiHeader, r: &mut impl Read) -> Result<Vec<f64>, String> {
    let skip = h.vox_offset - NIFTI_HEADER as u64;
    let skipped = io::copy(&mut r.take(skip), &mut io::sink())
        .map_err(|e| format!("cannot read the image: {e}"))?;
    if skipped < skip {
        return Err(format!(
            "the file ends at byte {} but its header's vox_offset says the image data starts \
             at byte {}",
            NIFTI_HEADER as u64 + skipped,
            h.vox_offset
        ));
    }
    let mut data = read_elements(
        &mut r.take(h.data_bytes()),
        h.dtype,
        h.values(),
        h.values().min(RESERVE_LIMIT),
    )
    .map_err(|e| e.replace("the header", "the NIfTI header"))?;
    if let Some((slope, inter)) = h.scaling {
        for v in &mut data {
            *v = *v * slope + inter;
        }
    }
    // The file varies x fastest; the output is (extra…, x, y, z) row-major.
    let n = h.dims.len();
    let spatial = n.min(3);
    let order: Vec<usize> = (spatial..n).chain(0..spatial).collect();
    let out_sizes: Vec<usize> = order.iter().map(|&a| h.dims[a]).collect();
    let out_strides = row_major_strides(&out_sizes);
    let mut strides = vec![0; n];
    for (k, &a) in order.iter().enumerate() {
        strides[a] = out_strides[k];
    }
    Ok(scatter(&data, &h.dims, &strides))
}

// ---------------------------------------------------------------------------------------// ---------------------------------------------------------------------------------------
// Whole arrays from bytes, and class-index maps

/// One array read whole: its dimensions as stored, whether its element type is a whole
/// number one (see [`Header`]) and its values, flat in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    pub dims: Vec<usize>,
    pub integer: bool,
    pub values: Vec<f64>,
}

/// Array `name` of the file named `file` whose bytes are `bytes` (a file opened or dropped
/// in the browser): the header first, then the data it promises.
pub fn from_bytes(bytes: &[u8], file: &str, name: &str) -> Result<Array, String> {
    let shown = excerpt(file);
    let len = bytes.len() as u64;
    let h = header(io::Cursor::new(bytes), len, file, &shown, name)?;
    let values = read_dims(io::Cursor::new(bytes), len, file, &shown, name, &h.dims)?;
    Ok(Array {
        dims: h.dims,
        integer: h.integer,
        values,
    })
}

/// One-hot labels [B, C, pixels] from a map of class indices [B, pixels]; pixels holding
/// `ignore` get no label and a mask of 0 (per pixel, `None` without `ignore`). `who` names
/// the map in a message ("`y` from \"labels.nii\"").
pub fn one_hot(
    map: &[f64],
    bn: usize,
    cn: usize,
    pixels: usize,
    ignore: Option<f64>,
    who: &str,
) -> Result<(Vec<f64>, Option<Vec<f64>>), String> {
    let mut y = vec![0.0; bn * cn * pixels];
    let mut mask = ignore.map(|_| vec![1.0; bn * pixels]);
    for (k, &v) in map.iter().enumerate() {
        let (b, i) = (k / pixels, k % pixels);
        if Some(v) == ignore {
            if let Some(m) = &mut mask {
                m[k] = 0.0;
            }
            continue;
        }
        if !(v.fract() == 0.0 && (0.0..cn as f64).contains(&v)) {
            let ignored = match ignore {
                Some(x) => format!(" or the ignore index {x}"),
                None => String::new(),
            };
            return Err(format!(
                "{who} at index {k} is {v}: with --classes {cn} a class-index map holds the \
                 class numbers 0 to {}{ignored}",
                cn - 1
            ));
        }
        y[(b * cn + v as usize) * pixels + i] = 1.0;
    }
    Ok((y, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file as numpy writes it.
    fn npy_bytes(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
        [
            npy_header_bytes(&format!("'{descr}'"), false, shape),
            data.to_vec(),
        ]
        .concat()
    }

    /// A NIfTI-1 single file (little-endian, vox_offset 352) of `dims` and datatype `code`.
    fn nifti_bytes(dims: &[i16], code: i16, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 352];
        h[0..4].copy_from_slice(&348i32.to_le_bytes());
        h[40..42].copy_from_slice(&(dims.len() as i16).to_le_bytes());
        for (k, d) in dims.iter().enumerate() {
            h[42 + 2 * k..44 + 2 * k].copy_from_slice(&d.to_le_bytes());
        }
        h[70..72].copy_from_slice(&code.to_le_bytes());
        h[108..112].copy_from_slice(&352f32.to_le_bytes());
        h[344..348].copy_from_slice(b"n+1\0");
        h.extend_from_slice(data);
        h
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn arrays_are_read_from_the_bytes_of_each_file_type() {
        let npy = npy_bytes(
            "<f4",
            &[1, 2, 2],
            &[0.5f32, 1.0, 0.0, 0.25].map(f32::to_le_bytes).concat(),
        );
        let a = from_bytes(&npy, "pred.npy", "pred").unwrap();
        assert_eq!(
            (a.dims.as_slice(), a.integer),
            ([1, 2, 2].as_slice(), false)
        );
        assert_eq!(a.values, [0.5, 1.0, 0.0, 0.25]);
        // A uint8 NIfTI mask of dims (x, y, z) = (2, 3, 1): x varies fastest in the file,
        // the array is [1, 1, x, y, z] row-major.
        let nii = nifti_bytes(&[2, 3, 1], 2, &[0, 1, 2, 3, 4, 5]);
        for (file, bytes) in [("m.nii", nii.clone()), ("M.NII.GZ", gzip(&nii))] {
            let a = from_bytes(&bytes, file, "y").unwrap();
            assert_eq!(a.dims, [1, 1, 2, 3, 1], "{file}");
            assert!(a.integer);
            assert_eq!(a.values, [0.0, 2.0, 4.0, 1.0, 3.0, 5.0], "{file}");
        }
        // The type comes from the name (a path's last part), not the bytes.
        assert_eq!(kind("dir.npy/x.nii.gz"), Some(Kind::Nifti { gz: true }));
        assert_eq!(kind("C:\\data\\y.npz"), Some(Kind::Npz));
    }

    /// Header dims whose values cannot be counted in this program's address space are a
    /// message, not a wrapped count (7 axes of 32767 pass 2^64; on the page's 32-bit
    /// worker far fewer would wrap).
    #[test]
    fn nifti_dims_too_large_to_count_are_refused() {
        let nii = nifti_bytes(&[32767; 7], 2, &[]);
        let e = from_bytes(&nii, "huge.nii", "y").unwrap_err();
        assert!(e.contains("more data than this program can address"), "{e}");
    }

    #[test]
    fn bad_bytes_are_messages_that_name_the_file() {
        let e = from_bytes(b"not an array", "labels.npy", "y").unwrap_err();
        assert!(
            e.starts_with("`y` from \"labels.npy\": not a .npy array"),
            "{e}"
        );
        let e = from_bytes(b"whatever", "labels.csv", "y").unwrap_err();
        assert!(e.contains("unknown file type"), "{e}");
        // A header that claims more data than the bytes hold: refused before reading.
        let short = npy_bytes("<f8", &[1000, 1000], &[0; 16]);
        let e = from_bytes(&short, "p.npy", "pred").unwrap_err();
        assert!(e.contains("cut short"), "{e}");
        let e = from_bytes(&gzip(b"not a nifti header"), "y.nii.gz", "y").unwrap_err();
        assert!(e.contains("not a NIfTI-1 image"), "{e}");
        let e = from_bytes(b"PK junk", "y.npz", "y").unwrap_err();
        assert!(e.contains("not a valid .npz archive"), "{e}");
    }

    #[test]
    fn class_maps_are_one_hot_encoded_and_out_of_range_values_refused() {
        let (y, mask) = one_hot(&[0.0, 2.0, 1.0, 9.0], 1, 3, 4, Some(9.0), "`y`").unwrap();
        assert_eq!(
            y,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
        assert_eq!(mask.unwrap(), [1.0, 1.0, 1.0, 0.0]);
        let e = one_hot(&[0.0, 3.0], 1, 3, 2, None, "`y`").unwrap_err();
        assert!(e.contains("at index 1 is 3"), "{e}");
    }

    #[test]
    fn the_npy_dictionary_is_read_as_numpy_writes_it() {
        let d =
            npy_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }    ").unwrap();
        assert_eq!(
            (d.descr.as_deref(), d.fortran, d.shape),
            (Some("<f8"), false, vec![2, 3])
        );
        let d = npy_dict(r#"{"shape":(7,),"fortran_order":True,"descr":"|b1"}"#).unwrap();
        assert_eq!(
            (d.descr.as_deref(), d.fortran, d.shape),
            (Some("|b1"), true, vec![7])
        );
        assert_eq!(
            npy_dict("{'descr': '<f8', 'fortran_order': False, 'shape': ()}")
                .unwrap()
                .shape,
            Vec::<usize>::new()
        );
        assert!(npy_dict("{'descr': [('a', '<f8')], 'shape': (1,)}")
            .unwrap()
            .descr
            .is_none());
        for (bad, needle) in [
            ("{'descr': '<f8', 'fortran_order': False}", "no 'shape'"),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
                "True or False",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2)}",
                "whole numbers",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                "too large",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                "unknown key",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} junk",
                "unexpected text",
            ),
            ("{'descr': '<f8", "not closed"),
            ("['descr']", "expected `{`"),
        ] {
            let e = npy_dict(bad).err().unwrap_or_default();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn scatter_reorders_column_major_into_row_major() {
        // A 2×3 array [[0, 1, 2], [3, 4, 5]] stored column-major.
        let data = [0.0, 3.0, 1.0, 4.0, 2.0, 5.0];
        let out = scatter(&data, &[2, 3], &row_major_strides(&[2, 3]));
        assert_eq!(out, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(row_major_strides(&[2, 3, 4]), [12, 4, 1]);
    }
}
