"""The catalog: one entry per data set of the course, naming its official files.

Each official file carries its sha256 and size so that a fetched or hand-copied file is
checked before it is parsed, and its download URLs (mirrors in order) so that a user
without network access knows exactly what to fetch by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from practicum.data.errors import DataError
from practicum.data.hashing import sha256_gunzipped


@dataclass(frozen=True)
class SourceFile:
    """One official file of a data set."""

    name: str
    urls: tuple[str, ...]
    sha256: str | None = None
    size: int | None = None
    splits: tuple[str, ...] = ()
    """Splits this file provides (empty: it provides every split of the data set)."""
    repackaged_sha256: tuple[str, ...] = ()
    """Known byte-different copies of the same content (e.g. a Debian package's re-gzip)."""
    content_sha256: str | None = None
    """sha256 of a .gz file's decompressed bytes: gzip output differs between tools and
    settings, so a copy re-compressed anywhere is still recognised by what it holds."""

    def accepts(self, digest: str) -> bool:
        return digest == self.sha256 or digest in self.repackaged_sha256

    def accepts_file(self, path: Path, digest: str) -> bool:
        """`accepts(digest)`, or failing that, the file decompresses to the official content.
        Only a file that gunzips is read a second time."""
        if self.accepts(digest):
            return True
        if self.content_sha256 is None:
            return False
        try:
            return sha256_gunzipped(path) == self.content_sha256
        except (OSError, EOFError):  # not gzip, or a truncated one
            return False


@dataclass(frozen=True)
class Dataset:
    """A data set: its official files, how to read them, and where it may already lie."""

    name: str
    title: str
    description: str
    splits: tuple[str, ...]
    files: tuple[SourceFile, ...]
    license: str
    citation: str
    homepage: str
    system_subdir: str | None = None
    """Folder under a system data dir (e.g. /usr/share/datasets/<this>) an OS package fills."""
    other_formats: tuple[str, ...] = field(default_factory=tuple)
    """Non-official layouts `practicum data import` also accepts (e.g. image folders)."""

    def file(self, name: str) -> SourceFile | None:
        return next((f for f in self.files if f.name == name), None)

    def files_for(self, split: str) -> tuple[SourceFile, ...]:
        return tuple(f for f in self.files if not f.splits or split in f.splits)


_MNIST_CITATION = (
    "Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to document "
    "recognition. Proceedings of the IEEE, 86(11):2278-2324, 1998."
)
_FASHION_CITATION = (
    "H. Xiao, K. Rasul, R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for Benchmarking "
    "Machine Learning Algorithms. arXiv:1708.07747, 2017."
)
_FLICKR8K_CITATION = (
    "M. Hodosh, P. Young, J. Hockenmaier. Framing Image Description as a Ranking Task: Data, "
    "Models and Evaluation Metrics. Journal of Artificial Intelligence Research, 47:853-899, 2013."
)
_FLICKR8K_MIRRORS = (
    "https://github.com/jbrownlee/Datasets/releases/download/Flickr8k/",
    "http://nlp.cs.illinois.edu/HockenmaierGroup/Framing_Image_Description/",
)
_COCO_CITATION = (
    "T.-Y. Lin et al. Microsoft COCO: Common Objects in Context. ECCV 2014. arXiv:1405.0312."
)


def _idx_files(
    mirrors: tuple[str, ...],
    sums: dict[str, tuple[str | None, int | None]],
    repackaged: dict[str, str] | None = None,
    contents: dict[str, str] | None = None,
) -> tuple[SourceFile, ...]:
    out = []
    for name, split in (
        ("train-images-idx3-ubyte.gz", "train"),
        ("train-labels-idx1-ubyte.gz", "train"),
        ("t10k-images-idx3-ubyte.gz", "test"),
        ("t10k-labels-idx1-ubyte.gz", "test"),
    ):
        sha, size = sums[name]
        again = (repackaged[name],) if repackaged and name in repackaged else ()
        urls = tuple(m + name for m in mirrors)
        content = (contents or {}).get(name)
        out.append(
            SourceFile(
                name,
                urls,
                sha,
                size,
                splits=(split,),
                repackaged_sha256=again,
                content_sha256=content,
            )
        )
    return tuple(out)


def _coco_files() -> tuple[SourceFile, ...]:
    base = "http://images.cocodataset.org/"
    files = [
        SourceFile(
            f"annotations_trainval{year}.zip",
            (f"{base}annotations/annotations_trainval{year}.zip",),
            *COCO_SUMS[f"annotations_trainval{year}.zip"],
            splits=(f"train{year}", f"val{year}"),
        )
        for year in (2014, 2017)
    ]
    for year in (2014, 2017):
        for part in ("train", "val"):
            name = f"{part}{year}.zip"
            files.append(
                SourceFile(
                    name, (f"{base}zips/{name}",), *COCO_SUMS[name], splits=(f"{part}{year}",)
                )
            )
    return tuple(files)


# sha256 and byte size of the official files.
# Sources: MNIST, Fashion-MNIST and COCO from TensorFlow Datasets' url_checksums/*.txt;
# CIFAR-10's sha256 from keras.datasets.cifar10; the rest hashed from the official files.
MNIST_SUMS: dict[str, tuple[str | None, int | None]] = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9912422,
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28881,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1648877,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4542,
    ),
}
# sha256 of the four MNIST files decompressed: the IDX bytes, whoever gzipped them. Hashed
# from a re-gzipped copy of the official content (../shared/data/README.md gives the same).
MNIST_CONTENT_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FASHION_SUMS: dict[str, tuple[str | None, int | None]] = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        26421880,
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        29515,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        4422102,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        5148,
    ),
}
# Debian's dataset-fashion-mnist re-gzips the official files without the stored file name
# and time stamp: same IDX content, other bytes.
FASHION_DEBIAN_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
# The same for Fashion-MNIST, hashed from Debian's files (accepted by their own sums above).
FASHION_CONTENT_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
COCO_SUMS: dict[str, tuple[str | None, int | None]] = {
    "annotations_trainval2014.zip": (
        "031296bbc80c45a1d1f76bf9a90ead27e94e99ec629208449507a4917a3bf009",
        252872794,
    ),
    "annotations_trainval2017.zip": (
        "113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268",
        252907541,
    ),
    "train2014.zip": (
        "ede4087e640bddba550e090eae701092534b554b42b05ac33f0300b984b31775",
        13510573713,
    ),
    "val2014.zip": (
        "fe9be816052049c34717e077d9e34aa60814a55679f804cd043e3cbee3b9fde0",
        6645013297,
    ),
    "train2017.zip": (
        "69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929",
        19336861798,
    ),
    "val2017.zip": (
        "4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05",
        815585330,
    ),
}

_ENJA = "https://raw.githubusercontent.com/odashi/small_parallel_enja/master/"
ENJA_SUMS: dict[str, tuple[str | None, int | None]] = {
    "train.en": ("148b05dcd28638fe20ee84f2b1127001c80982be352007dda241fb759adadc76", 1701356),
    "train.ja": ("fc81a1434349ec98a449d7ae9cd2530057f689637684ecfed3501ea6a8a07ecc", 2784447),
    "dev.en": ("04a2673449770657fd5e3b963cb856be3130923212b6db8ac7eaeef18f06c041", 17054),
    "dev.ja": ("cd534f56b8639dc130f86a365e5ec0aa70042000bdd740a622fbbf8b6be4acca", 27781),
    "test.en": (None, None),  # no authoritative sum known: checked by format only
    "test.ja": (None, None),
}

# No sha256 of the two Flickr8k zips is published; the MD5 sums torchvision for R checks
# (Flickr8k_text.zip bf6c1abcb8e4a833b7f922104de18627, Flickr8k_Dataset.zip
# f18a1e2920de5bd84dae7cf08ec78978) cannot be used here, so both are checked by format.
FLICKR8K_FILES = (
    SourceFile(
        "Flickr8k_Dataset.zip",
        tuple(m + "Flickr8k_Dataset.zip" for m in _FLICKR8K_MIRRORS),
        splits=("train", "dev", "test"),
    ),
    SourceFile("Flickr8k_text.zip", tuple(m + "Flickr8k_text.zip" for m in _FLICKR8K_MIRRORS)),
)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="mnist",
        title="MNIST handwritten digits",
        description="70,000 grayscale 28x28 images of handwritten digits 0-9 (60k train, 10k test).",
        splits=("train", "test"),
        files=_idx_files(
            (
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "http://yann.lecun.com/exdb/mnist/",
            ),
            MNIST_SUMS,
            contents=MNIST_CONTENT_SHA256,
        ),
        license="Creative Commons Attribution-Share Alike 3.0",
        citation=_MNIST_CITATION,
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    Dataset(
        name="fashion-mnist",
        title="Fashion-MNIST",
        description="70,000 grayscale 28x28 images of Zalando articles in 10 classes "
        "(60k train, 10k test); a drop-in, harder replacement for MNIST.",
        splits=("train", "test"),
        files=_idx_files(
            ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
            FASHION_SUMS,
            FASHION_DEBIAN_SHA256,
            FASHION_CONTENT_SHA256,
        ),
        license="MIT",
        citation=_FASHION_CITATION,
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        system_subdir="fashion-mnist",
    ),
    Dataset(
        name="cifar10",
        title="CIFAR-10",
        description="60,000 colour 32x32 images in 10 classes (50k train, 10k test).",
        splits=("train", "test"),
        files=(
            SourceFile(
                "cifar-10-python.tar.gz",
                ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
                "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                170498071,
            ),
        ),
        license="No explicit license; free for research use with citation",
        citation="A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. "
        "Technical report, University of Toronto, 2009.",
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        other_formats=("image folder or archive: <split>/<class>/<image>.png|jpg",),
    ),
    Dataset(
        name="ecg5000",
        title="ECG5000 heartbeats (UCR archive)",
        description="5,000 heartbeats of 140 samples each in 5 classes (500 train, 4,500 test).",
        splits=("train", "test"),
        files=(
            SourceFile(
                "ECG5000.zip",
                ("https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip",),
                None,
                None,
            ),
        ),
        license="UCR Time Series Classification Archive terms: free for research with citation",
        citation="H. A. Dau et al. The UCR Time Series Archive. IEEE/CAA Journal of "
        "Automatica Sinica, 6(6):1293-1305, 2019.",
        homepage="https://www.timeseriesclassification.com/description.php?Dataset=ECG5000",
        other_formats=("ECG5000_TRAIN.txt / ECG5000_TEST.txt (UCR text)",),
    ),
    Dataset(
        name="airline-passengers",
        title="International airline passengers, 1949-1960",
        description="144 monthly totals of international airline passengers, in thousands.",
        splits=("all",),
        files=(
            SourceFile(
                "airline-passengers.csv",
                (
                    "https://raw.githubusercontent.com/jbrownlee/Datasets/master/airline-passengers.csv",
                ),
                "8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621",
                2180,
            ),
        ),
        license="Public domain (Box & Jenkins, Time Series Data Library)",
        citation="G. E. P. Box, G. M. Jenkins. Time Series Analysis: Forecasting and Control. "
        "Holden-Day, 1976. Series G.",
        homepage="https://github.com/jbrownlee/Datasets",
    ),
    Dataset(
        name="small-parallel-enja",
        title="small_parallel_enja: English-Japanese sentence pairs",
        description="Tokenized English-Japanese pairs from the Tanaka corpus "
        "(50,000 train, 500 dev, 500 test).",
        splits=("train", "dev", "test"),
        files=tuple(
            SourceFile(name, (_ENJA + name,), sha, size, splits=(name.split(".")[0],))
            for name, (sha, size) in ENJA_SUMS.items()
        ),
        license="Creative Commons Attribution (Tanaka corpus)",
        citation="Y. Tanaka. Compilation of a multilingual parallel corpus. PACLING 2001. "
        "Tokenized subset by Y. Oda: https://github.com/odashi/small_parallel_enja",
        homepage="https://github.com/odashi/small_parallel_enja",
    ),
    Dataset(
        name="coco-captions",
        title="MS-COCO captions (2014 and 2017)",
        description="Images with five English captions each; annotation JSON plus image zips.",
        splits=("train2014", "val2014", "train2017", "val2017"),
        files=_coco_files(),
        license="Annotations CC BY 4.0; images under their Flickr licenses",
        citation=_COCO_CITATION,
        homepage="https://cocodataset.org/#download",
    ),
    Dataset(
        name="flickr8k",
        title="Flickr8k: photos with five captions each",
        description="8,091 Flickr photos of people and animals doing things, each with five "
        "English captions (official lists: 6,000 train, 1,000 dev, 1,000 test images). Arrays: "
        "file_name, image_bytes + image_offsets (the encoded JPEGs), caption, caption_image. "
        "Without the official lists the images are split by a hash of their file name (about "
        "3/4 train, 1/8 dev, 1/8 test); 'text' holds the captions of images not present, for "
        "pretraining a caption language model.",
        splits=("train", "dev", "test", "text"),
        files=FLICKR8K_FILES,
        license="Flickr8k terms: research use only; the photos stay under their Flickr "
        "owners' copyright",
        citation=_FLICKR8K_CITATION,
        homepage="http://hockenmaier.cs.illinois.edu/8k-pictures.html",
        other_formats=(
            "Kaggle's Flickr8k (adityajn105/flickr8k): archive.zip, or Images/*.jpg with "
            "captions.txt (CSV image,caption)",
            "captions-only CSV files in that layout (captions-all-flickr8k-no-images.txt) "
            "for the text split",
        ),
    ),
)

CATALOG: dict[str, Dataset] = {d.name: d for d in DATASETS}


def get(name: str) -> Dataset:
    """Look a data set up by name; an unknown name lists the known ones."""
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(CATALOG)
        raise DataError(f"unknown data set {name!r}; known: {known}") from None
