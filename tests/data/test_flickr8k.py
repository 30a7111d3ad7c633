"""Flickr8k: the official zips and files, Kaggle's layout, the real shared subset."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from practicum import data, settings
from practicum.data import synthetic
from practicum.data.errors import DataError, FormatError
from practicum.data.formats import flickr8k
from practicum.data.formats.flickr8k import TOKEN_FILE, carved_split
from practicum.data.formats.source import Origin

SHARED = Path(__file__).resolve().parents[3] / "shared/data"
SUBSET = SHARED / "flickr8k-subset"
SPLITS = ("train", "dev", "test")


def loaded() -> dict[str, dict[str, np.ndarray]]:
    return {split: data.load("flickr8k", split) for split in (*SPLITS, "text")}


def meta() -> dict[str, Any]:
    manifest = settings.data_home() / "flickr8k" / "train" / "manifest.json"
    return dict(json.loads(manifest.read_text())["meta"])


def captions_by_image(arrays: dict[str, np.ndarray]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {str(n): [] for n in arrays["file_name"]}
    names = arrays["file_name"]
    for caption, owner in zip(arrays["caption"], arrays["caption_image"], strict=True):
        out[str(names[owner])].append(str(caption))
    return out


def check_contract(splits: dict[str, dict[str, np.ndarray]]) -> None:
    """Names, dtypes and shapes every reader of these arrays relies on."""
    present: set[str] = set()
    for split, arrays in splits.items():
        names, offsets = arrays["file_name"], arrays["image_offsets"]
        assert names.dtype.kind == "U" and arrays["caption"].dtype.kind == "U", split
        assert arrays["image_bytes"].dtype == np.uint8, split
        assert offsets.dtype == np.int64 and arrays["caption_image"].dtype == np.int64, split
        assert offsets.shape == (len(names) + 1,), split
        assert names.tolist() == sorted(names.tolist()), split
        owners = arrays["caption_image"]
        assert owners.shape == arrays["caption"].shape, split
        assert np.all(np.diff(owners) >= 0), f"{split}: captions not grouped by image"
        if split == "text":
            assert arrays["image_bytes"].size == 0 and not offsets.any()
        else:
            assert offsets[0] == 0 and offsets[-1] == arrays["image_bytes"].size
            assert np.all(np.diff(offsets) > 0)
            assert set(np.unique(owners)) == set(range(len(names))), f"{split}: uncaptioned"
            assert not present & set(names.tolist()), f"{split}: an image in two splits"
            present |= set(names.tolist())
    assert not present & set(splits["text"]["file_name"].tolist()), "text captions a present image"


def image_of(arrays: dict[str, np.ndarray], i: int) -> bytes:
    offsets = arrays["image_offsets"]
    return arrays["image_bytes"][offsets[i] : offsets[i + 1]].tobytes()


# the real shared copy ----------------------------------------------------------------


def test_real_subset_splits_by_file_name_and_keeps_every_caption() -> None:
    if not SUBSET.is_dir():
        pytest.skip(f"the shared data is not here ({SUBSET})")
    assert data.import_files("flickr8k", [SUBSET]) == ["dev", "test", "text", "train"]
    splits = loaded()
    check_contract(splits)
    counts = {split: len(splits[split]["file_name"]) for split in SPLITS}
    assert counts == {"train": 607, "dev": 88, "test": 105}
    for split in SPLITS:
        assert all(carved_split(str(n)) == split for n in splits[split]["file_name"])
    with (SUBSET / "captions.txt").open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))[1:]
    expected: dict[str, list[str]] = {}
    for name, caption in rows:
        expected.setdefault(name, []).append(caption)
    got = {k: v for split in SPLITS for k, v in captions_by_image(splits[split]).items()}
    assert got == expected and sum(map(len, got.values())) == 4_000
    text = splits["text"]
    assert len(text["caption"]) == 39_455 - 4_000 == 35_455
    assert len(text["file_name"]) == 7_091
    assert not set(text["file_name"].tolist()) & {p.name for p in (SUBSET / "images").iterdir()}
    train = splits["train"]
    for i in (0, len(train["file_name"]) - 1):
        assert image_of(train, i) == (SUBSET / "images" / str(train["file_name"][i])).read_bytes()
    assert meta()["split_rule"] == flickr8k.SPLIT_RULE
    for split in SPLITS:  # every photo decodes
        photos = data.captioned_images("flickr8k", split)
        assert photos.images(48).shape == (counts[split], 48, 48, 3)
    long_sides = {max(photos.image(i).shape[:2]) for i in range(len(photos))}
    assert {200, 500} <= long_sides


def test_carved_split_is_a_fixed_rule() -> None:
    assert carved_split("1000268201_693b08cb0e.jpg") == carved_split("1000268201_693b08cb0e.jpg")
    shares = [carved_split(f"{i}_x.jpg") for i in range(4000)]
    assert 0.09 < shares.count("test") / 4000 < 0.16
    assert 0.09 < shares.count("dev") / 4000 < 0.16
    name = next(n for n in (f"{i}.jpg" for i in range(100)) if carved_split(n) == "test")
    assert hashlib.sha256(name.encode()).digest()[0] % 8 == 0


# the official layout ---------------------------------------------------------------


def test_official_zips_follow_the_split_lists(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(
        tmp_path / "f", 24, layout="original", zipped=True, text_only=3
    )
    with zipfile.ZipFile(folder / "Flickr8k_Dataset.zip") as archive:
        assert any(n.startswith("__MACOSX/Flicker8k_Dataset/._") for n in archive.namelist())
    zips = [folder / "Flickr8k_Dataset.zip", folder / "Flickr8k_text.zip"]
    assert data.import_files("flickr8k", zips) == ["dev", "test", "text", "train"]
    splits = loaded()
    check_contract(splits)
    with zipfile.ZipFile(folder / "Flickr8k_text.zip") as archive:
        lists = {
            split: archive.read(f"Flickr_8k.{split}Images.txt").decode().split() for split in SPLITS
        }
        token = archive.read(TOKEN_FILE).decode()
    for split in SPLITS:
        assert splits[split]["file_name"].tolist() == sorted(lists[split])
    info = meta()
    assert info["unlisted_images"] == 2 and info["listed_but_absent"] == 0
    assert info["split_rule"].startswith("official lists Flickr8k_text.zip:Flickr_8k.train")
    text = splits["text"]["file_name"].tolist()
    assert len(text) == 3 and any(n.endswith(".jpg.1") for n in text)  # the official quirk
    first = token.splitlines()[0]
    name, caption = first.split("#0\t")
    owner = next(s for s in SPLITS if name in lists[s])
    assert captions_by_image(splits[owner])[name][0] == caption.strip()
    assert data.status("flickr8k")[0].state == "cached (unverified)"  # no official sha256


def test_unpacked_official_files_as_folder_one_level_down_and_loose(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "dl" / "flickr", 16, layout="original")
    data.import_files("flickr8k", [tmp_path / "dl"])
    by_folder = loaded()
    check_contract(by_folder)
    loose = [folder / "Flicker8k_Dataset", *(folder / f for f in flickr8k.SPLIT_LISTS.values())]
    data.import_files("flickr8k", [*loose, folder / TOKEN_FILE])
    by_files = loaded()
    for split in (*SPLITS, "text"):
        for key, array in by_folder[split].items():
            np.testing.assert_array_equal(by_files[split][key], array)


# Kaggle's layout --------------------------------------------------------------------


@pytest.mark.parametrize("zipped", [False, True])
def test_kaggle_layout_keeps_quoted_captions_as_written(tmp_path: Path, zipped: bool) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 30, zipped=zipped, text_only=5)
    data.import_files("flickr8k", [folder])
    splits = loaded()
    check_contract(splits)
    captions = [str(c) for split in SPLITS for c in splits[split]["caption"]]
    assert len(captions) == 150
    assert any(" , " in c for c in captions) and any('"' in c for c in captions)
    raw = (folder / "captions-all-flickr8k-no-images.txt").read_bytes()
    assert b'"a red' in raw or b'"a green' in raw or b'"a blue' in raw  # CSV-quoted there
    assert b'""' in raw
    assert len(splits["text"]["file_name"]) == 5 and len(splits["text"]["caption"]) == 25
    assert meta()["layout"].startswith("Kaggle")


def test_captions_only_file_gives_text_and_empty_image_splits(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 6, text_only=4)
    only_text = folder / "captions-all-flickr8k-no-images.txt"
    data.import_files("flickr8k", [only_text])
    splits = loaded()
    assert len(splits["text"]["file_name"]) == 10
    assert all(len(splits[s]["file_name"]) == 0 for s in SPLITS)
    # importing the images replaces every split: no stale text caption of a present image
    data.import_files("flickr8k", [folder])
    splits = loaded()
    check_contract(splits)
    assert len(splits["text"]["file_name"]) == 4


def test_image_without_caption_is_left_out_and_recorded(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 8, text_only=0)
    extra = next((folder / "Images").iterdir()).read_bytes()
    (folder / "Images" / "999_nocaption.jpg").write_bytes(extra)
    data.import_files("flickr8k", [folder])
    assert sum(len(a["file_name"]) for s, a in loaded().items() if s != "text") == 8
    info = meta()
    assert info["uncaptioned_images"] == 1 and info["uncaptioned_examples"] == ["999_nocaption.jpg"]


def test_same_image_twice_is_read_once(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "k", 8, text_only=0)
    assert data.import_files("flickr8k", [folder, folder / "Images"])
    assert sum(len(data.load("flickr8k", s)["file_name"]) for s in SPLITS) == 8


# errors ----------------------------------------------------------------------------


def kaggle(tmp_path: Path, n: int = 6) -> Path:
    return synthetic.write_flickr8k_like(tmp_path / "k", n, text_only=0)


def refused(paths: list[Path]) -> str:
    with pytest.raises(DataError) as error:
        data.import_files("flickr8k", paths)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_malformed_token_line_is_named(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "o", 6, layout="original", text_only=0)
    token = folder / TOKEN_FILE
    lines = token.read_text().splitlines()
    lines[3] = lines[3].replace("\t", " ")
    token.write_text("\n".join(lines) + "\n")
    assert refused([folder]).startswith(f"{TOKEN_FILE}: line 4: expected '<image>.jpg#<n><TAB>")


def test_duplicate_token_key_is_named(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "o", 6, layout="original", text_only=0)
    token = folder / TOKEN_FILE
    lines = token.read_text().splitlines()
    token.write_text("\n".join([*lines, lines[0]]) + "\n")
    name = lines[0].split("#")[0]
    assert refused([folder]) == f"{TOKEN_FILE}: line {len(lines) + 1}: {name}#0 appears twice"


def test_non_image_bytes_are_refused(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    victim = sorted((folder / "Images").iterdir())[2]
    victim.write_bytes(b"<html>not found</html>")
    assert (
        refused([folder]) == f"{victim.name}: not a JPEG or PNG image (it starts with b'<html>no')"
    )


def test_non_image_member_of_a_zip_is_named_with_the_zip(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "o", 4, layout="original", zipped=True)
    with zipfile.ZipFile(folder / "Flickr8k_Dataset.zip", "a") as archive:
        archive.writestr("Flicker8k_Dataset/1_broken.jpg", b"GIF89a...")
    message = refused([folder])
    assert message.startswith("Flickr8k_Dataset.zip: Flicker8k_Dataset/1_broken.jpg: not a JPEG")


def test_oversized_image_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = kaggle(tmp_path)
    monkeypatch.setattr(flickr8k, "MAX_IMAGE_BYTES", 1000)
    assert "more than the limit of 1,000" in refused([folder])


def test_captions_file_naming_nothing(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    (folder / "captions.txt").write_text("image,caption\r\n")
    assert refused([folder]) == "captions.txt: no captions in it (only the header)"


def test_captions_of_other_images_are_refused(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    (folder / "captions.txt").write_text("image,caption\r\n1_other.jpg,a dog .\r\n")
    message = refused([folder])
    assert message.startswith("flickr8k: none of the 6 images has a caption in captions.txt")


def test_images_without_any_captions_file(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    (folder / "captions.txt").unlink()
    assert refused([folder]).startswith("flickr8k: 6 images but no captions file")


def test_unquoted_comma_in_csv_is_named_with_its_line(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    rows = (folder / "captions.txt").read_text().splitlines()
    name = rows[1].split(",")[0]
    rows.insert(3, f"{name},a dog , running .")
    (folder / "captions.txt").write_text("\n".join(rows) + "\n")
    assert refused([folder]).startswith("captions.txt: line 4: expected 2 fields")


def test_unterminated_quote_in_csv_is_named(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    with (folder / "captions.txt").open("a") as file:
        file.write('1_x.jpg,"a dog\n')
    assert "malformed CSV" in refused([folder])


def test_two_different_images_of_one_name(tmp_path: Path) -> None:
    folder = kaggle(tmp_path)
    first = sorted((folder / "Images").iterdir())[0]
    other = tmp_path / "other"
    other.mkdir()
    (other / first.name).write_bytes(sorted((folder / "Images").iterdir())[1].read_bytes())
    assert refused([folder, other]).startswith(f"{first.name}: two different images")


def test_split_lists_must_be_complete_and_disjoint(tmp_path: Path) -> None:
    folder = synthetic.write_flickr8k_like(tmp_path / "o", 16, layout="original", text_only=0)
    dev = folder / "Flickr_8k.devImages.txt"
    test = folder / "Flickr_8k.testImages.txt"
    dev_names = dev.read_text()
    test.write_text(test.read_text() + dev_names.splitlines()[0] + "\n")
    assert " is listed in both " in refused([folder])
    dev.unlink()
    assert refused([folder]).startswith("flickr8k: Flickr_8k.devImages.txt missing")


def test_unknown_loose_file_is_refused(tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("hello\n")
    assert refused([note]).startswith("notes.txt: not a Flickr8k file")


def test_parsers_directly() -> None:
    origin = Origin(Path("captions.txt"))
    text = 'image,caption\r\na.jpg,"one , two ."\r\na.jpg," spaced "\r\n\r\nb.jpg,x\r\n'
    assert flickr8k.parse_captions_csv(text.encode(), origin) == {
        "a.jpg": ["one , two .", "spaced"],
        "b.jpg": ["x"],
    }
    token = b"a.jpg#1\tsecond .\na.jpg#0\tfirst . \n\nb.jpg.1#0\tquirk\n"
    assert flickr8k.parse_token_file(token, origin) == {
        "a.jpg": ["first .", "second ."],
        "b.jpg.1": ["quirk"],
    }
    with pytest.raises(FormatError, match="line 1: expected the header 'image,caption'"):
        flickr8k.parse_captions_csv(b"file,text\n", origin)
    assert flickr8k.captions_csv_text({"a.jpg": ['say "hi" , ok']}) == (
        'image,caption\r\na.jpg,"say ""hi"" , ok"\r\n'
    )
