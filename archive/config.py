"""Settings. Each ARCHIVE_* name below can be set in the environment; a test fails if one lacks its docstring."""

ARCHIVE_DATA = "."
"""Data root: the folder that holds interviews/, media/, index/ and instance/ (accounts, secret key)."""

ARCHIVE_SITE_NAME = "Oral history archive"
"""Name shown in the header and page titles."""

ARCHIVE_BASE_URL = "http://127.0.0.1:5000/"
"""The archive's public address, for the links in what the command line exports (`archive export ohms`, `citations`;
`--base-url` overrides it); pages and downloads use the address they were asked at."""

ARCHIVE_LOCK_TIMEOUT = 30.0
"""Seconds a write waits for another writer to finish with the same folder before it gives up."""

ARCHIVE_PASSWORD_MIN_LENGTH = 12
"""Shortest password accepted for an account."""

ARCHIVE_SIGNIN_MAX_FAILURES = 5
"""Failed sign-ins allowed for one account name from one address (and four times as many from one address, whatever
the name) within the window below; past it, that name also waits a growing delay from every other address."""

ARCHIVE_SIGNIN_MAX_DELAY = 60
"""Longest wait, in seconds, that failed sign-ins from elsewhere can impose on an account name: a delay, never a
lockout (and none for a browser that has signed in as that name before)."""

ARCHIVE_SIGNIN_WINDOW = 900
"""Seconds over which failed sign-ins are counted before they are forgotten."""

ARCHIVE_SESSION_HOURS = 12
"""Hours a sign-in lasts before the reader must sign in again."""

ARCHIVE_HOST = "127.0.0.1"
"""Address `archive serve` listens on."""

ARCHIVE_PORT = 5000
"""Port `archive serve` listens on."""

ARCHIVE_THREADS = 8
"""Threads of each server process (`archive serve --threads`)."""

ARCHIVE_WORKERS = 1
"""Server processes (`archive serve --workers`). One is served by waitress; several by gunicorn, each process with
ARCHIVE_THREADS threads: Python runs one thread at a time in a process, so on a machine with several cores several
processes answer more requests at once. The index, jobs, sign-in limits and sessions are shared through the data root
and the instance folder, so any process may answer any request."""

ARCHIVE_PROXIES = 0
"""Reverse proxies in front of the archive whose X-Forwarded-For/-Proto headers are trusted (0: none). Set it behind a
proxy, or every visitor shares the proxy's address and its per-address limits."""

ARCHIVE_HTTPS = False
"""Set to 1 when readers reach the archive over HTTPS (e.g. behind a proxy): cookies are then sent over HTTPS only."""

ARCHIVE_MAX_TRANSCRIPT_MB = 50
"""Largest transcript file accepted, in megabytes (a long interview's transcript is well under 5 MB)."""

ARCHIVE_MAX_UPLOAD_MB = 1024
"""Largest upload through the web (a transcript with its audio), in megabytes."""

ARCHIVE_INDEX_CHECK_AT_START = True
"""Compare the search index with the collection when the app starts, repairing it in the background."""

ARCHIVE_IMAGE_FORMATS = "JPEG,PNG,TIFF,WEBP,HEIF"
"""Image formats accepted, told by content (HEIF only where pillow-heif is installed); anything else is refused."""

ARCHIVE_MAX_IMAGE_MB = 200
"""Largest image file accepted, in megabytes (a 600 dpi colour scan of an A3 page as TIFF is about 200 MB)."""

ARCHIVE_MAX_IMAGE_PIXELS = 120_000_000
"""Largest image accepted, in pixels per page; larger ones are refused as possible decompression bombs."""

ARCHIVE_MAX_IMAGE_PAGES = 50
"""Most pages accepted in one multi-page file (TIFF scans of a letter or a passport)."""

ARCHIVE_DISPLAY_EDGE = 2048
"""Longest edge, in pixels, of the display copy readers see on an item's page."""

ARCHIVE_THUMBNAIL_EDGE = 320
"""Longest edge, in pixels, of the thumbnails in the gallery and search results."""

ARCHIVE_DERIVATIVE_FORMAT = "JPEG"
"""Format of display copies and thumbnails: JPEG (progressive) or WEBP."""

ARCHIVE_CONTRIBUTIONS_PER_HOUR = 5
"""Testimonies one address may send through the public form in an hour (more are refused, to stop floods)."""

ARCHIVE_CONTRIBUTION_MAX_MB = 300
"""Largest file a family may send with a testimony (a story's audio, a photo), in megabytes."""

ARCHIVE_STREAM_AUDIO_MB = 100
"""Sound larger than this, in megabytes, gets a streaming copy (Opus) even when browsers play it (WAV and FLAC
always get one)."""

ARCHIVE_STREAM_VIDEO_MB = 500
"""Video larger than this, in megabytes, gets a smaller web copy (H.264, at most 720 lines) for streaming."""

ARCHIVE_BACKUP_DIR = "backups"
"""Folder where backups started from /jobs/ are written as BagIt bags, one folder each (relative: under the data
root). Put it on another disk, and keep it as safely as the server: a bag holds restricted records and the accounts'
password hashes."""
