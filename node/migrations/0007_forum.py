from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_pledge_status')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('actor', fields.OneToOneField('models.Actor', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='category', on_delete=OnDelete.SET_NULL)),
                ('name_map', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('description_map', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('position', fields.IntField(default=0)),
                ('color', fields.CharField(default='', max_length=16)),
                ('icon', fields.CharField(default='', max_length=16)),
                ('start_policy', fields.CharField(default='members', max_length=16)),
                ('read_access', fields.CharField(default='public', max_length=16)),
                ('approve_new', fields.BooleanField(default=False)),
                ('topic_count', fields.IntField(default=0)),
                ('post_count', fields.IntField(default=0)),
                ('last_activity_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'forum_categories', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A forum category. A public one is followable as its own Group actor (`@slug@host`), a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CategoryModerator',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.ForeignKeyField('models.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='moderators', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='forum_moderations', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'forum_moderators', 'app': 'models', 'unique_together': (('category', 'actor'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Revision',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('post', fields.ForeignKeyField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('editor', fields.ForeignKeyField('models.Actor', source_field='editor_id', null=True, db_constraint=True, to_field='id', related_name='forum_revisions', on_delete=OnDelete.SET_NULL)),
                ('title', fields.CharField(default='', max_length=300)),
                ('source', fields.TextField(default='', unique=False)),
                ('content', fields.TextField(default='', unique=False)),
                ('content_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'forum_revisions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A version a post had before an edit (moderators see the history, everyone sees "edited").'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Topic',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('category', fields.ForeignKeyField('models.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='topics', on_delete=OnDelete.CASCADE)),
                ('post', fields.OneToOneField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='topic', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=300)),
                ('title_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pinned', fields.BooleanField(default=False, db_index=True)),
                ('locked', fields.BooleanField(default=False)),
                ('held', fields.BooleanField(default=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_reason', fields.TextField(default='', unique=False)),
                ('reply_count', fields.IntField(default=0)),
                ('like_count', fields.IntField(default=0)),
                ('last_position', fields.IntField(default=0)),
                ('last_activity_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'forum_topics', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A thread: its opening post, where it is filed, and what the lists show of it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Entry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.ForeignKeyField('models.Topic', source_field='topic_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('post', fields.OneToOneField('models.Post', source_field='post_id', db_constraint=True, to_field='id', related_name='entry', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('held', fields.BooleanField(default=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_reason', fields.TextField(default='', unique=False)),
                ('removed_by', fields.ForeignKeyField('models.Actor', source_field='removed_by_id', null=True, db_constraint=True, to_field='id', related_name='forum_removals', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'forum_entries', 'app': 'models', 'unique_together': (('topic', 'position'),), 'pk_attr': 'id', 'table_description': "One post's place in a thread: position 0 is the opening post, replies count up. A removed post"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadMark',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='forum_read_marks', on_delete=OnDelete.CASCADE)),
                ('topic', fields.ForeignKeyField('models.Topic', source_field='topic_id', db_constraint=True, to_field='id', related_name='read_marks', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('seen_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'forum_read_marks', 'app': 'models', 'unique_together': (('actor', 'topic'),), 'pk_attr': 'id', 'table_description': 'How far a member has read a topic (the newest position seen).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='forum_subscriptions', on_delete=OnDelete.CASCADE)),
                ('topic', fields.ForeignKeyField('models.Topic', source_field='topic_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('category', fields.ForeignKeyField('models.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'forum_subscriptions', 'app': 'models', 'unique_together': (('actor', 'topic', 'category'),), 'pk_attr': 'id', 'table_description': 'A member follows a topic or a whole category: notified in the web and by email.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Visit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.OneToOneField('models.Actor', source_field='actor_id', db_constraint=True, to_field='id', related_name='forum_visit', on_delete=OnDelete.CASCADE)),
                ('previous_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'forum_visits', 'app': 'models', 'pk_attr': 'id', 'table_description': 'When a member last looked at the forum: topics active since then are "new" to them.'},
            bases=['Model'],
        ),
    ]
