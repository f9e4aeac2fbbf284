"""Development support for gidar, never shipped with it: the report generator and its value generator,
page layer and scan maker (`gidar_dev.synth`), results without PDFs (`gidar_dev.sample`), multi-year
warehouse fixtures for the cross-report checks and the dashboard (`gidar_dev.crosschecks_fixtures`) and
loading through the ingestion path (`gidar_dev.loading`). Installed by ``make`` beside gidar."""
