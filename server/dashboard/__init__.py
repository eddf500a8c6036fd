"""The trader's dashboard ("cockpit") on the admin listener: sign-in sessions, browser protections, the page's
files, and plain-words views of alerts. The page itself is in ``server/static`` and reads only ``/api/v1``."""
