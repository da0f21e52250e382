"""Import this module to warm the http engine up; meant for the job processes' template.

Loading the CA bundle into an SSL context takes tens of milliseconds, paid by every forked
job process whose template did not do it (measured: about a fifth of a small file's job
time). Done here once, it is inherited.
"""

from __future__ import annotations

from mediadl.engines.http.client import tls_context, tune_reads

tune_reads()
tls_context()
