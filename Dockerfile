# The fedcat image: the web app and the harvester (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY fedcat fedcat
COPY harvester harvester
COPY accounts accounts
COPY ill ill
COPY storage storage
COPY indexer indexer
COPY search_ui search_ui
COPY config config
COPY demo demo
RUN pip install --no-cache-dir -e .
ENV FEDCAT_DATA_DIR=/data FEDCAT_WEB_WORKERS=4
VOLUME /data
EXPOSE 5000
# gunicorn, FEDCAT_WEB_* settings, anonymous access log (docs/operator-guide.md#serving)
CMD ["fedcat", "serve", "--host", "0.0.0.0", "--port", "5000"]
