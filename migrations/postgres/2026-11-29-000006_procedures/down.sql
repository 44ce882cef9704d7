DROP TABLE procedures;
