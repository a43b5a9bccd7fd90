# The fedcat image: the web app and the harvester (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY fedcat fedcat
COPY harvester harvester
COPY indexer indexer
COPY search_ui search_ui
COPY config config
COPY demo demo
RUN pip install --no-cache-dir -e .
ENV FEDCAT_DATA_DIR=/data
VOLUME /data
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "4", "search_ui.wsgi:app"]
