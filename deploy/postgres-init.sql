-- Our own database and role, separate from Temporal's (`temporal`, `temporal_visibility`).
CREATE ROLE livechat LOGIN PASSWORD 'livechat';
CREATE DATABASE livechat OWNER livechat;
