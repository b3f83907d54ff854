"""Unit service standards (Standar Pelayanan) as configuration: `data/<tenant>.toml` in this
package, or the folder `HELPDESK_STANDARDS_DIR` names."""

from .loader import check_files, default_standards_dir, load_standard, load_standards
from .model import (
    CATEGORY_IDS,
    CHANNELS,
    Calendar,
    Category,
    Complaints,
    Contacts,
    Faq,
    Problem,
    Requirements,
    StandardError,
    Target,
    Tier,
    UnitStandard,
)

__all__ = [
    "CATEGORY_IDS",
    "CHANNELS",
    "Calendar",
    "Category",
    "Complaints",
    "Contacts",
    "Faq",
    "Problem",
    "Requirements",
    "StandardError",
    "Target",
    "Tier",
    "UnitStandard",
    "check_files",
    "default_standards_dir",
    "load_standard",
    "load_standards",
]
