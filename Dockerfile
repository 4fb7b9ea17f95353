FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build DEBUG=true python manage.py collectstatic --noinput \
    && useradd --create-home app && mkdir -p /app/var/models /app/var/prometheus && chown -R app /app/var
USER app
EXPOSE 8000
# The same server as docker-compose's web service (gthread, 2 x 16 by default; see docs/benchmarks.md).
CMD ["sh", "-c", "exec gunicorn complaintsite.wsgi -c python:monitoring.gunicorn_conf --bind 0.0.0.0:8000 --worker-class gthread --workers \"${WEB_WORKERS:-2}\" --threads \"${WEB_THREADS:-16}\" --access-logfile -"]
