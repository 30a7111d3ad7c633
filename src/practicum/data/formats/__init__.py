"""Readers of the data sets' on-disk formats, and writers of the same formats for tests.

Readers take a path and return plain numpy arrays, per split where the format has splits:
images x uint8 (N, H, W) or (N, H, W, 3) with labels y int64 from 0; text as unicode
arrays (never object arrays); series float32. Image readers return (splits, class names),
y indexing the class names. Anything wrong with a file raises FormatError naming the file
(and archive member), the line or record, and the check that failed.
"""

from practicum.data.formats.arrays import read_npy, read_number_csv
from practicum.data.formats.cifar import CIFAR10_CLASSES, read_cifar10_python, write_cifar10_python
from practicum.data.formats.coco import (
    check_image_folder,
    index_image_zip,
    read_coco_captions,
    write_coco_annotations_zip,
    write_coco_captions,
    write_image_zip,
)
from practicum.data.formats.csv_series import read_monthly_csv, write_monthly_csv
from practicum.data.formats.flickr8k import build_flickr8k_splits, read_flickr8k_files
from practicum.data.formats.idx import IDX_FILES, read_idx, read_idx_dataset, write_idx
from practicum.data.formats.image_folder import read_image_folder, write_image_folder
from practicum.data.formats.parallel_text import read_lines, read_parallel, write_lines
from practicum.data.formats.safe_archive import Limits
from practicum.data.formats.ucr import read_ucr, read_ucr_zip, write_ucr, write_ucr_zip

__all__ = [
    "CIFAR10_CLASSES",
    "IDX_FILES",
    "Limits",
    "build_flickr8k_splits",
    "check_image_folder",
    "index_image_zip",
    "read_cifar10_python",
    "read_coco_captions",
    "read_flickr8k_files",
    "read_idx",
    "read_idx_dataset",
    "read_image_folder",
    "read_lines",
    "read_monthly_csv",
    "read_npy",
    "read_number_csv",
    "read_parallel",
    "read_ucr",
    "read_ucr_zip",
    "write_cifar10_python",
    "write_coco_annotations_zip",
    "write_coco_captions",
    "write_idx",
    "write_image_folder",
    "write_image_zip",
    "write_lines",
    "write_monthly_csv",
    "write_ucr",
    "write_ucr_zip",
]
