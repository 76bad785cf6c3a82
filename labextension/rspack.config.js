// Module ids named after their paths relative to this folder (the default, "deterministic",
// hashes the container entry's absolute paths): the prebuilt bundle is then the same bytes
// wherever the repository is checked out (`python3 dev.py labextension`).
module.exports = { optimization: { moduleIds: 'named' } };
