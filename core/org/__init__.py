"""Organisation (一园一档 / 一企一档): parks, enterprises, departments, areas, posts, people,
certificates, the floor plan."""
