from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

async def ballots_without_rowid(apps, schema_editor):
    """On SQLite, the ballots table is rebuilt WITHOUT ROWID (it is still empty): its rows are then
    stored in the order of their random keys, not in the order they were cast."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    rows = await client.execute_query_dict(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'assembly_ballots' AND sql IS NOT NULL")
    table = next(r["sql"] for r in rows if r["type"] == "table")
    indexes = [r["sql"] for r in rows if r["type"] == "index"]
    # One statement each (execute_query): a script would commit the transaction it runs in on SQLite.
    await client.execute_query("DROP TABLE assembly_ballots")
    await client.execute_query(table + " WITHOUT ROWID")
    for index in indexes:
        await client.execute_query(index)


class Migration(migrations.Migration):
    dependencies = [('models', '0012_polls')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Vote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=300)),
                ('text', fields.TextField(default='', unique=False)),
                ('translations', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('kind', fields.CharField(default='motion', max_length=8)),
                ('options', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('max_choices', fields.IntField(default=1)),
                ('abstain', fields.BooleanField(default=True)),
                ('roles', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.BooleanField(default=False)),
                ('quorum_percent', fields.IntField(default=0)),
                ('quorum_count', fields.IntField(default=0)),
                ('majority', fields.CharField(default='simple', max_length=16)),
                ('max_proxies', fields.IntField(default=1)),
                ('status', fields.CharField(default='draft', db_index=True, max_length=8)),
                ('opens_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('salt', fields.CharField(max_length=64)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='assembly_votes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'assembly_votes', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A motion or an election of the general assembly: members only, never federated.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Ballot',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('vote', fields.ForeignKeyField('models.Vote', source_field='vote_id', db_constraint=True, to_field='id', related_name='ballots', on_delete=OnDelete.CASCADE)),
                ('choices', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('receipt_hash', fields.CharField(db_index=True, max_length=64)),
                ('voter', fields.ForeignKeyField('models.User', source_field='voter_id', null=True, db_constraint=True, to_field='id', related_name='assembly_open_ballots', on_delete=OnDelete.SET_NULL)),
                ('cast_by', fields.ForeignKeyField('models.User', source_field='cast_by_id', null=True, db_constraint=True, to_field='id', related_name='assembly_proxy_ballots', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'assembly_ballots', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One ballot. Its key is random (not sequential) and it has no time column. `choices` holds'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Proxy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('vote', fields.ForeignKeyField('models.Vote', source_field='vote_id', db_constraint=True, to_field='id', related_name='proxies', on_delete=OnDelete.CASCADE)),
                ('giver', fields.ForeignKeyField('models.User', source_field='giver_id', db_constraint=True, to_field='id', related_name='assembly_proxies_given', on_delete=OnDelete.CASCADE)),
                ('holder', fields.ForeignKeyField('models.User', source_field='holder_id', db_constraint=True, to_field='id', related_name='assembly_proxies_held', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='active', db_index=True, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'assembly_proxies', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A member (`giver`) lets another (`holder`) vote for them in one vote. Active until revoked by the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Voter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('vote', fields.ForeignKeyField('models.Vote', source_field='vote_id', db_constraint=True, to_field='id', related_name='voters', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='assembly_voters', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(max_length=16)),
                ('voted', fields.BooleanField(default=False)),
            ],
            options={'table': 'assembly_voters', 'app': 'models', 'unique_together': (('vote', 'user'),), 'pk_attr': 'id', 'table_description': 'One eligible member of one vote, from the snapshot taken when it opened. `voted` says only that'},
            bases=['Model'],
        ),
        ops.RunPython(ballots_without_rowid, ops.RunPython.noop),
    ]
