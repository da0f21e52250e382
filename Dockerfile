# mediadl: one image for the server (`mediadl serve`) and the workers (`mediadl worker`).
FROM node:20-bookworm-slim AS frontend
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build -- --outDir /build/static

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 mediadl
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY src/ src/
COPY --from=frontend /build/static/ src/mediadl/static/
RUN pip install --no-cache-dir -c requirements.lock .
USER mediadl
ENV MEDIADL_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["mediadl", "serve", "--host", "0.0.0.0", "--port", "8000"]
