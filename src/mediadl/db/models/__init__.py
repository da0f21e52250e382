"""All tables. Each feature keeps its tables in its own module here; importing this package
registers every one of them with the metadata that migrations compare against."""

from mediadl.db.models.core import (
    ROLE_ADMIN,
    ROLE_USER,
    Download,
    Job,
    RefreshToken,
    User,
)
from mediadl.db.models.library_ops import RuntimeSetting as RuntimeSetting  # + siblings
from mediadl.db.models.platforms import PlatformSetting as PlatformSetting  # + siblings
from mediadl.db.models.realtime import WsTicket as WsTicket
from mediadl.db.models.scaleout import InstanceValue as InstanceValue
from mediadl.db.models.schedules import Schedule as Schedule  # + runs, sources, items
from mediadl.db.models.security import ActivityEntry as ActivityEntry  # + its sibling tables

__all__ = ["ROLE_ADMIN", "ROLE_USER", "Download", "Job", "RefreshToken", "User"]
