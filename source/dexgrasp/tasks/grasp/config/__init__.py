"""Robot bindings of the grasp task: each subpackage binds one robot and registers its tasks with Gymnasium."""
