"""Development support for gidar, never shipped with it: the report generator (`gidar_dev.synth`),
registry-consistent results without PDFs (`gidar_dev.sample`) and warehouse fixtures for the
cross-report checks (`gidar_dev.crosschecks_fixtures`). Installed by ``make`` beside gidar."""
